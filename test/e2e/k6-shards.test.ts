/**
 * `stampede run cold-pull --shards 2` through a lab, end to end with the real k6: the two
 * processes' parts add up to one process's run (pulls, iterations, VUs, bytes), one
 * envelope and one report come out of them, thresholds are decided on the merged samples
 * (a whole-run count that each shard alone would fail passes), k6's web-dashboard export
 * and --k6-out files are written per shard, and a shard killed mid-run is named in the
 * result with its points kept.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { labCommand } from '../../lib/cli/commands/lab';
import { runScenarioCommand } from '../../lib/cli/commands/run';
import { REPO_ROOT } from '../../lib/k6/bundle';
import { isPoint, type K6Point } from '../../lib/k6/collect';
import type { ShardOutcome } from '../../lib/k6/shards';
import type { ThresholdResult } from '../../lib/k6/thresholds';
import type { Envelope } from '../../lib/results/envelope';
import { readNdjson } from '../../lib/results/ndjson';
import { chartIds } from '../fixtures/reports/envelopes';
import { K6, prerequisites, ROOT } from '../helpers/prereq';
import { labUpArgs } from './helpers/lab-up';

const LAB = 'shardse2e';
const canRun = prerequisites('stampede run --shards through a lab', [ROOT, K6]);
let home: string;
const lines: string[] = [];
const io: Io = { out: (t) => lines.push(t), err: (t) => lines.push(t), tty: false };
const code: Record<'one' | 'two' | 'killed', number> = { one: -1, two: -1, killed: -1 };
const dir = (name: string) => join(home, name);
let killedPid = 0;

/**
 * Cold pulls of the default image (1, 2 and 4 MiB layers) by 20 VUs, 4 each unless set: long
 * enough (seconds, even on an idle machine) for k6's dashboard, which exports nothing for a
 * run over within two of its periods (DASHBOARD_PERIOD_MS, 200 ms; at 1 s an 80-pull run of
 * 2.0 s wrote none in the CI of 2026-12-06 00:06).
 */
function run(out: string, extra: string[], ...sets: string[]): Promise<number> {
  return runCommand(
    runScenarioCommand,
    [
      'cold-pull',
      '--target',
      'lab',
      '--name',
      LAB,
      '--out',
      out,
      '--set',
      'vus=20',
      '--set',
      'iterations=4',
      ...sets.flatMap((s) => ['--set', s]),
      ...extra,
    ],
    io,
  );
}

/** The pid of the k6 process of shard `index` of the run writing into `out`, if running. */
function shardPid(out: string, index: number): number | undefined {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'k6') continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.startsWith(out)) && cmd.includes(`shard=${index}`)) return Number(pid);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** SIGKILLs shard 1's k6 of the run in `out` once it has written points; bounded to 120 s. */
async function killShardOne(out: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!done() && Date.now() < deadline) {
    const pid = shardPid(out, 1);
    const raw = join(out, 'raw-1.ndjson');
    if (pid && existsSync(raw) && statSync(raw).size > 0 && readFileSync(raw, 'utf8').includes('"pulls"')) {
      killedPid = pid;
      process.kill(pid, 'SIGKILL');
      return;
    }
    await sleep(100);
  }
}

const envelope = (name: string) =>
  JSON.parse(readFileSync(join(dir(name), 'summary.json'), 'utf8')) as Envelope;
const points = (name: string) => readNdjson(join(dir(name), 'raw.ndjson')).filter(isPoint) as K6Point[];
const sum = (ps: K6Point[], metric: string) =>
  ps.filter((p) => p.metric === metric).reduce((a, p) => a + p.data.value, 0);
/** k6's vus_max per process (by shard tag), summed: the VUs of the whole run. */
function vusMax(ps: K6Point[]): number {
  const per = new Map<string, number>();
  for (const p of ps)
    if (p.metric === 'vus_max') {
      const s = p.data.tags?.shard ?? '-';
      per.set(s, Math.max(per.get(s) ?? 0, p.data.value));
    }
  return [...per.values()].reduce((a, b) => a + b, 0);
}

beforeAll(async () => {
  if (!canRun) return;
  home = mkdtempSync(join(tmpdir(), 'stampede-shards-e2e-'));
  process.env.STAMPEDE_LAB_HOME = home;
  expect(await runCommand(labCommand, labUpArgs(LAB, 'lab.octet=24'), io)).toBe(0);
  // One process; its own k6 decides the threshold too (exit 99), stampede records it.
  code.one = await run(dir('one'), ['--k6-dashboard', '--threshold', 'pulls=count>=81']);
  // Two processes of 10 VUs (40 pulls) each: count>=80 holds only for the merged run.
  code.two = await run(dir('two'), [
    '--shards',
    '2',
    '--k6-dashboard',
    '--k6-out',
    `json=${join(home, 'k6-points.json')}`,
    '--threshold',
    'pulls=count>=80',
    '--threshold',
    'pull_duration=p(99)<600000',
  ]);
  let finished = false;
  const killed = run(dir('killed'), ['--shards', '2']).finally(() => {
    finished = true;
  });
  await killShardOne(dir('killed'), () => finished);
  code.killed = await killed;
}, 600_000);

afterAll(async () => {
  if (!canRun) return;
  await runCommand(labCommand, ['down', '--name', LAB], io);
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe.runIf(canRun)('stampede run cold-pull --shards 2 through the lab', () => {
  it('adds up to the one-process run: pulls, iterations, VUs, bytes, redirects', () => {
    const [one, two] = [envelope('one'), envelope('two')];
    const [p1, p2] = [points('one'), points('two')];
    expect(one.metrics.pulls).toEqual({ ok: 80, failed: 0 });
    expect(two.metrics.pulls).toEqual({ ok: 80, failed: 0 });
    expect(sum(p2, 'iterations')).toBe(80);
    expect(sum(p2, 'iterations')).toBe(sum(p1, 'iterations'));
    expect(vusMax(p2)).toBe(20);
    expect(vusMax(p1)).toBe(20);
    for (const k of ['bytes', 'blobRedirects', 'tokenRequests'])
      expect(two.metrics[k], k).toBe(one.metrics[k]);
    // Every point says which process measured it, and each measured half.
    const perShard = (s: string) => p2.filter((p) => p.metric === 'pulls' && p.data.tags?.shard === s).length;
    expect([perShard('0'), perShard('1')]).toEqual([40, 40]);
    // Quantiles come from all 80 samples, not from two shard summaries.
    expect(p2.filter((p) => p.metric === 'pull_duration')).toHaveLength(80);
  });

  it('leaves one envelope, one raw stream and one report; the shards are recorded', () => {
    expect(code.two, lines.join('\n')).toBe(0);
    const files = readdirSync(dir('two'));
    expect(files).toEqual(expect.arrayContaining(['summary.json', 'raw.ndjson', 'report.html']));
    expect(files.filter((f) => /^raw-\d+\.ndjson$/.test(f))).toEqual([]);
    const shards = envelope('two').runtime.shards as ShardOutcome[];
    expect(shards.map((s) => [s.index, s.segment, s.status, s.exitCode])).toEqual([
      [0, '0:1/2', 'ok', 0],
      [1, '1/2:1', 'ok', 0],
    ]);
    expect(shards[0]?.points).toBeGreaterThan(0);
    expect(envelope('two').incomplete).toBeUndefined();
    // The report draws each k6 process apart (pulls over time, pull quantiles per shard).
    expect(chartIds(readFileSync(join(dir('two'), 'report.html'), 'utf8'))).toContain('shards');
  });

  it('decides thresholds on the merged samples; a crossed one fails the run and shows in the report', () => {
    const t2 = envelope('two').metrics.thresholds as ThresholdResult[];
    expect(t2.map((t) => [t.metric, t.threshold, t.ok, t.observed === null ? null : t.samples])).toEqual([
      ['pulls', 'count>=80', true, 80],
      ['pull_duration', 'p(99)<600000', true, 80],
    ]);
    expect(code.one, lines.join('\n')).toBe(1);
    const one = envelope('one');
    expect(one.metrics.thresholds).toEqual([
      { metric: 'pulls', threshold: 'count>=81', observed: 80, ok: false, samples: 80 },
    ]);
    // k6 exited 99 (its own verdict on the same threshold): a finished run, not an incomplete one.
    expect(one.incomplete).toBeUndefined();
    const page = readFileSync(join(dir('one'), 'report.html'), 'utf8');
    expect(page).toContain('k6 thresholds');
    expect(page).toContain('count>=81');
  });

  it("writes k6's web-dashboard HTML export into the run dir, one per process", () => {
    for (const f of [
      join(dir('one'), 'k6-dashboard.html'),
      ...[0, 1].map((i) => join(dir('two'), `k6-dashboard-${i}.html`)),
    ]) {
      const html = readFileSync(f, 'utf8');
      expect(html.slice(0, 200).toLowerCase()).toMatch(/^<!doctype html>/);
      expect(html).toContain('</html>');
      expect(html.length).toBeGreaterThan(10_000);
    }
  });

  it('passes --k6-out through to each k6 process, one file per shard', () => {
    for (const i of [0, 1]) {
      const recs = readNdjson(join(home, `k6-points-${i}.json`)).filter(isPoint) as K6Point[];
      const pulls = recs.filter((p) => p.metric === 'pulls');
      expect(pulls).toHaveLength(40);
      expect(new Set(pulls.map((p) => p.data.tags?.shard))).toEqual(new Set([String(i)]));
    }
  });

  it('names a killed shard in the result, keeps its points and still writes the report', () => {
    expect(killedPid).toBeGreaterThan(0);
    expect(code.killed, lines.join('\n')).toBe(1);
    const e = envelope('killed');
    const shards = e.runtime.shards as ShardOutcome[];
    expect(shards[1]).toMatchObject({ index: 1, segment: '1/2:1', status: 'killed', signal: 'SIGKILL' });
    expect(shards[0]).toMatchObject({ index: 0, status: 'ok', exitCode: 0 });
    expect(e.incomplete?.reason).toMatch(
      /^shard 1 of 2 \(segment 1\/2:1\) killed by SIGKILL after \d+ points/,
    );
    const kept = points('killed').filter((p) => p.data.tags?.shard === '1');
    expect(kept.length).toBe(shards[1]?.points);
    expect(kept.length).toBeGreaterThan(0);
    // Shard 0 ran its half to the end: its 10 VUs x 4 pulls are all there.
    expect(points('killed').filter((p) => p.metric === 'pulls' && p.data.tags?.shard === '0')).toHaveLength(
      40,
    );
    expect(existsSync(join(dir('killed'), 'report.html'))).toBe(true);
  });
});

describe.runIf(canRun)('stampede run --shards 2 stopped by a signal', () => {
  it('SIGTERM stops every shard; the merged summary and the report are still written', async () => {
    const out = dir('sigterm');
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'bin/stampede.js'),
        'run',
        'cold-pull',
        '--target',
        'lab',
        '--name',
        LAB,
        '--out',
        out,
        '--shards',
        '2',
        '--set',
        'vus=4',
        '--set',
        'iterations=400',
        '--set',
        'layers=2000000,2000000',
      ],
      { stdio: 'ignore', env: { ...process.env, STAMPEDE_LAB_HOME: home, STAMPEDE_FROM_SOURCE: '1' } },
    );
    const exited = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
    // Both shards have finished a pull (their points are on disk) before the signal.
    const pulled = (i: number) => {
      const raw = join(out, `raw-${i}.ndjson`);
      return existsSync(raw) && readFileSync(raw, 'utf8').includes('"metric":"pulls","type":"Point"');
    };
    for (let i = 0; i < 1200 && !(pulled(0) && pulled(1)); i++) await sleep(100);
    expect(pulled(0) && pulled(1), 'the shards never finished a pull').toBe(true);
    child.kill('SIGTERM');
    const exit = await Promise.race([exited, sleep(90_000).then(() => 'hung' as const)]);
    expect(exit).toBe(1);
    const e = envelope('sigterm');
    expect(e.incomplete).toEqual({ reason: 'interrupted' });
    expect((e.runtime.shards as ShardOutcome[]).map((s) => s.status)).toEqual(['interrupted', 'interrupted']);
    const shardsSeen = new Set(points('sigterm').map((p) => p.data.tags?.shard));
    expect(shardsSeen).toEqual(new Set(['0', '1']));
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    for (const i of [0, 1]) expect(shardPid(out, i)).toBeUndefined();
  }, 180_000);
});
