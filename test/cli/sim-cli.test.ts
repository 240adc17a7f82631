import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineCommand, type Io, runCommand } from '../../lib/cli/command';
import { simCommand } from '../../lib/cli/commands/sim';
import type { Envelope } from '../../lib/results/envelope';
import { formatSeconds } from '../../reports/format';

const root = defineCommand({ name: 'stampede', summary: 'test root', subCommands: { sim: simCommand } });

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), tty: false };
  const code = await runCommand(root, ['sim', ...args], io);
  return { code, out, err };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'stampede-sim-'));
const small = ['--set', 'workload.nodes=60', '--set', 'workload.layerSizesMiB=50,400,120,30'];

/** A small cold-pull under the preset, into a fresh dir (run/ and env.json), plus extra flags. */
async function coldPull(...extra: string[]) {
  const dir = tmp();
  const json = join(dir, 'env.json');
  const r = await cli(
    'cold-pull',
    '--preset',
    'acr-copies-2026',
    ...small,
    ...extra,
    '--out',
    join(dir, 'run'),
    '--json',
    json,
  );
  if (r.code !== 0) throw new Error(`cold-pull exited ${r.code}: ${r.err}`);
  const env = JSON.parse(readFileSync(json, 'utf8')) as Envelope;
  return { r, env, dir };
}

describe('stampede sim', () => {
  it('--help lists the models and each model lists its parameter tree', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/cold-pull/);
    expect(top.out).toMatch(/copy-sweep/);
    expect(top.out).toMatch(/calibrate/);
    const help = await cli('copy-sweep', '--help');
    expect(help.code).toBe(0);
    for (const path of [
      'workload.nodes',
      'storage.ceilingBps',
      'storage.fanOutCost',
      'sweep.copies',
      'client.unpackBps',
    ])
      expect(help.out).toContain(path);
    expect(help.out).toContain('acr-copies-2026');
  });

  it('cold-pull writes summary.json, raw.ndjson, --json and prints a table', async () => {
    const { r, env, dir } = await coldPull('--seed', '3');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/P50\s+P90\s+P99/);
    expect(r.out).toMatch(/report: .*report\.html/);
    expect(env.tool).toBe('stampede');
    expect(env.name).toBe('cold-pull');
    expect(env.seed).toBe(3);
    expect((env.params.workload as { nodes: number }).nodes).toBe(60);
    expect(env.metrics.podStartupS?.p50).toBeGreaterThan(0);
    const raw = readFileSync(join(dir, 'run', 'raw.ndjson'), 'utf8')
      .trim()
      .split('\n');
    expect(raw).toHaveLength(60);
    expect(Object.keys(JSON.parse(raw[0] as string))).toEqual(
      expect.arrayContaining(['point', 'node', 'podStartupS', 'pullS', 'egressBps', 'throttleEvents']),
    );
    expect(existsSync(join(dir, 'run', 'summary.json'))).toBe(true);
  });

  it('prints where and when a throttled run refused, from its own per-backend and per-layer counts', async () => {
    // A low ceiling, a short meter and small range requests: two hot backends refuse for seconds.
    const { r, env } = await coldPull(
      ...['--set', 'storage.copies=2', '--set', 'storage.ceilingBps=1e9', '--set', 'storage.meterWindowS=5'],
      ...[
        '--set',
        'client.chunkBytes=8388608',
        '--set',
        'client.retryBaseS=2',
        '--set',
        'client.retryCapS=60',
      ],
    );
    expect(r.code).toBe(0);
    const p = env.points[0];
    const total = p?.metrics.throttleEvents ?? 0;
    expect(total).toBeGreaterThan(0);
    const refusing = (p?.metrics.backends ?? []).filter((b) => (b.throttles ?? 0) > 0);
    const first = Math.min(...refusing.map((b) => b.firstThrottleS ?? Number.NaN));
    const last = Math.max(...refusing.map((b) => b.lastThrottleS ?? Number.NaN));
    expect(first).toBeLessThanOrEqual(last);
    expect(r.out).toContain(
      `${p?.label}: ${total} 503s from ${refusing.length} backend${refusing.length === 1 ? '' : 's'}, t = ${formatSeconds(first)} to ${formatSeconds(last)}; layers `,
    );
  });

  it('copy-sweep gives one point per configuration with the published table as reference', async () => {
    const dir = tmp();
    const r = await cli(
      'copy-sweep',
      '--preset',
      'acr-copies-2026',
      ...small,
      '--out',
      dir,
      '--json',
      join(dir, 'e.json'),
    );
    expect(r.code).toBe(0);
    const env = JSON.parse(readFileSync(join(dir, 'e.json'), 'utf8')) as Envelope;
    expect(env.points.map((p) => p.label)).toEqual(['Baseline', 'Low', 'Mid', 'Higher', 'Very high']);
    expect(env.reference?.points).toHaveLength(5);
    // The sweep names its sweet spot, in the summary and on the console.
    const spot = env.metrics.sweetSpot as { label: string; copies: number };
    expect(env.points.map((p) => p.label)).toContain(spot.label);
    expect(r.out).toContain(`sweet spot: ${spot.label} (${spot.copies} copies per layer)`);
    // Every point that throttled gets its 503 line, and only those.
    const throttled = env.points.filter((p) => (p.metrics.throttleEvents ?? 0) > 0);
    for (const p of env.points)
      expect(r.out.includes(`  ${p.label}: ${p.metrics.throttleEvents} 503s`), p.label).toBe(
        throttled.includes(p),
      );
  });

  it.each([
    [['cold-pull', '--set', 'workload.nodes=-3'], /workload\.nodes/],
    [['cold-pull', '--preset', 'nope'], /--preset/],
    [['cold-pull', '--set', 'storage.bogus=1'], /storage\.bogus/],
    [['cold-pull', '--seed', 'abc'], /--seed/],
    [['cold-pull', '--seed', '-1'], /--seed/],
    [['cold-pull', '--set', 'storage.copies=500'], /storage\.copies/],
    [['copy-sweep', '--set', 'sweep.labels=a,b'], /sweep\.labels/],
    [['frobnicate'], /sim <command>/],
  ])('bad input %j exits 2 naming the field', async (args, field) => {
    const r = await cli(...(args as string[]), '--out', tmp());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(field);
  });
});

describe('stampede sim calibrate', () => {
  it('rejects a malformed target table naming the field', async () => {
    const dir = tmp();
    const bad = join(dir, 't.json');
    writeFileSync(
      bad,
      JSON.stringify({
        source: 'x',
        points: [{ label: 'Baseline', podStartupS: { p50: 1, p90: 'soon', p99: 3 } }],
      }),
    );
    const r = await cli('calibrate', '--target', bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/points\[0\]\.podStartupS\.p90/);
    writeFileSync(bad, '{not json');
    expect((await cli('calibrate', '--target', bad)).code).toBe(2);
    const missing = await cli('calibrate', '--target', join(dir, 'absent.json'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--target/);
  });

  it('fits a user table for a few iterations and prints residuals per figure', async () => {
    const dir = tmp();
    const target = join(dir, 't.json');
    const points = ['Baseline', 'Low', 'Mid', 'Higher', 'Very high'].map((label) => ({
      label,
      podStartupS: { p50: 40, p90: 45, p99: 50 },
    }));
    writeFileSync(target, JSON.stringify({ source: 'test table', points }));
    const r = await cli('calibrate', '--target', target, '--iterations', '3', ...small);
    expect(r.err).not.toMatch(/unexpected/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Very high\s+p99\s+50/);
    expect(r.out).toMatch(/storage\.ceilingBps = /);
  });
});
