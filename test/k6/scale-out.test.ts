/**
 * The run command's scale-out choices: checked against the scenario, handed on to the
 * re-executed run unchanged, and turned into k6 arguments per shard (thresholds go to k6
 * only for a single process: each shard would judge its own segment).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { int } from '../../lib/config/schema';
import { scaleOut, scaleOutArgv, shardSetup } from '../../lib/k6/scale-out';
import { defineScenario } from '../../lib/k6/scenario';

const dir = mkdtempSync(join(tmpdir(), 'stampede-scale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const def = defineScenario<{ vus: number }>({
  name: 'scale-toy',
  summary: 'toy',
  schema: { vus: int({ default: 8, min: 1, max: 100, doc: 'VUs' }) },
  script: 'x',
  thresholds: (p) => ({ pulls: [`count>=${p.vus}`] }),
  verdict: () => ({ exitCode: 0, line: '' }),
});

const flags = (over: Partial<Parameters<typeof scaleOut>[0]> = {}) => ({
  shards: undefined,
  k6Out: [],
  dashboard: false,
  threshold: [],
  ...over,
});

describe('scaleOut', () => {
  it("joins the scenario's thresholds (from its params) with --threshold", () => {
    const s = scaleOut(flags({ threshold: ['pull_duration=p(99)<5000'] }), def as never, { vus: 8 });
    expect(s.thresholds).toEqual({ pulls: ['count>=8'], pull_duration: ['p(99)<5000'] });
    expect(s.shards).toBe(1);
  });
  it('checks --shards against the VUs', () => {
    expect(() => scaleOut(flags({ shards: '9' }), def as never, { vus: 8 })).toThrow(/--shards/);
  });
  it('round-trips through the argv of the re-executed run', () => {
    const s = scaleOut(
      flags({
        shards: '4',
        k6Out: [`json=${dir}/o.json`, 'experimental-prometheus-rw'],
        dashboard: true,
        threshold: ['pulls=count>0'],
        memoryMiB: '1400',
      }),
      def as never,
      { vus: 8 },
    );
    const argv = scaleOutArgv(s);
    expect(argv).toEqual([
      '--shards',
      '4',
      '--k6-out',
      `json=${dir}/o.json`,
      '--k6-out',
      'experimental-prometheus-rw',
      '--k6-dashboard',
      '--threshold',
      'pulls=count>0',
      '--k6-memory-mib',
      '1400',
    ]);
    const value = (f: string) => argv.filter((_, i) => argv[i - 1] === f);
    const again = scaleOut(
      {
        shards: value('--shards')[0],
        k6Out: value('--k6-out'),
        dashboard: argv.includes('--k6-dashboard'),
        threshold: value('--threshold'),
        memoryMiB: value('--k6-memory-mib')[0],
      },
      def as never,
      { vus: 8 },
    );
    expect(again).toEqual(s);
  });
});

describe('shardSetup', () => {
  it('one process: thresholds to k6 through a --config file', async () => {
    const run = join(dir, 'one');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(run);
    const s = scaleOut(flags({ dashboard: true, memoryMiB: '1000' }), def as never, { vus: 8 });
    const setup = shardSetup(s, run);
    expect(setup.args).toEqual(['--config', join(run, 'k6-config.json')]);
    expect(JSON.parse(readFileSync(join(run, 'k6-config.json'), 'utf8'))).toEqual({
      thresholds: { pulls: ['count>=8'] },
    });
    expect(setup.env).toEqual({ GOMEMLIMIT: '1000MiB' });
    const own = await setup.perShard(0);
    expect(own.env.K6_WEB_DASHBOARD_EXPORT).toBe(join(run, 'k6-dashboard.html'));
  });
  it('several: no thresholds for k6, one dashboard and output file per shard, the memory budget split', async () => {
    const run = join(dir, 'four');
    const s = scaleOut(
      flags({ shards: '4', dashboard: true, k6Out: [`csv=${dir}/p.csv`], memoryMiB: '1400' }),
      def as never,
      { vus: 8 },
    );
    const setup = shardSetup(s, run);
    expect(setup.args).toEqual([]);
    expect(existsSync(join(run, 'k6-config.json'))).toBe(false);
    expect(setup.env).toEqual({ GOMEMLIMIT: '350MiB' });
    const own = await setup.perShard(3);
    expect(own.args).toEqual(['--out', `csv=${dir}/p-3.csv`]);
    expect(own.env.K6_WEB_DASHBOARD_EXPORT).toBe(join(run, 'k6-dashboard-3.html'));
    expect(own.env.K6_WEB_DASHBOARD_HOST).toBe('127.0.0.1');
  });
});

describe('finishScaleOut', () => {
  const envelope = () => ({
    tool: 'stampede' as const,
    kind: 'k6' as const,
    name: 'scale-toy',
    seed: 0,
    params: {},
    metrics: {},
    points: [{ label: 'scale-toy', params: {}, metrics: {} }],
    runtime: { wallMs: 1, events: 1 },
  });
  const shard = (index: number, status: 'ok' | 'thresholds', exitCode: number) => ({
    index,
    segment: `${index}/2:${index + 1}/2`,
    exitCode,
    signal: null,
    points: 1,
    status,
  });
  const pulls = (n: number) =>
    Array.from({ length: n }, () => ({
      type: 'Point',
      metric: 'pulls',
      data: { time: '2026-01-01T00:00:00Z', value: 1, tags: {} },
    }));

  it('records thresholds and shards in the envelope; fails on a crossed one', async () => {
    const { finishScaleOut } = await import('../../lib/k6/scale-out');
    const s = scaleOut(flags({ shards: '2' }), def as never, { vus: 8 });
    const e = envelope();
    const run = {
      rawPath: join(dir, 'raw.ndjson'),
      wallMs: 1,
      results: [],
      shards: [shard(0, 'ok', 0), shard(1, 'ok', 0)],
    };
    const r = finishScaleOut(s, run, e, pulls(7));
    expect(r.failed).toBe(true);
    expect(r.lines[0]).toBe('threshold crossed: pulls count>=8 (observed 7, 7 samples)');
    expect(e.metrics).toMatchObject({ thresholds: [{ metric: 'pulls', ok: false, observed: 7 }] });
    expect(e.runtime).toMatchObject({ shards: run.shards });
    expect(finishScaleOut(s, run, envelope(), pulls(8)).failed).toBe(false);
  });
  it('a k6 exit 99 the merged samples do not explain still fails the run, and says so', async () => {
    const { finishScaleOut } = await import('../../lib/k6/scale-out');
    const s = scaleOut(flags({ shards: '2' }), def as never, { vus: 8 });
    const run = {
      rawPath: join(dir, 'raw.ndjson'),
      wallMs: 1,
      results: [],
      shards: [shard(0, 'ok', 0), shard(1, 'thresholds', 99)],
    };
    const r = finishScaleOut(s, run, envelope(), pulls(8));
    expect(r.failed).toBe(true);
    expect(r.lines.join('\n')).toContain('exit 99 in shard 1');
  });
});
