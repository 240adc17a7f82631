/**
 * Sharding logic without k6: the execution segments of N shards, --shards validation, the
 * join of per-shard raw streams (torn lines, point counts) and how a dead shard is named.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors';
import type { K6RunResult } from '../../lib/k6/run';
import {
  checkShards,
  countPoints,
  mergeRaw,
  type ShardOutcome,
  shardSpecs,
  shardStatus,
  shardsIncomplete,
} from '../../lib/k6/shards';
import { parseNdjson } from '../../lib/results/ndjson';

const dir = mkdtempSync(join(tmpdir(), 'stampede-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const point = (shard: number, v: number) =>
  JSON.stringify({
    metric: 'pull_duration',
    type: 'Point',
    data: { time: '2026-01-01T00:00:00Z', value: v, tags: { shard: String(shard) } },
  });

/** Fractions of a segment string, to check the segments tile [0, 1]. */
const frac = (s: string) => {
  const [n, d] = s.split('/');
  return d === undefined ? Number(n) : Number(n) / Number(d);
};

describe('shardSpecs', () => {
  it('cuts [0,1] into N adjacent equal segments of one sequence', () => {
    const specs = shardSpecs(4);
    expect(specs.map((s) => s.segment)).toEqual(['0:1/4', '1/4:2/4', '2/4:3/4', '3/4:1']);
    expect(new Set(specs.map((s) => s.sequence))).toEqual(new Set(['0,1/4,2/4,3/4,1']));
    for (const n of [2, 3, 7, 64]) {
      const ss = shardSpecs(n);
      expect(ss).toHaveLength(n);
      let at = 0;
      for (const s of ss) {
        const [from, to] = s.segment.split(':').map(frac) as [number, number];
        expect(from).toBeCloseTo(at, 12);
        expect(to - from).toBeCloseTo(1 / n, 12);
        at = to;
      }
      expect(at).toBe(1);
    }
  });
});

describe('checkShards', () => {
  it('defaults to one process and accepts 1..64 up to the VU count', () => {
    expect(checkShards(undefined, 10)).toBe(1);
    expect(checkShards('4', 1000)).toBe(4);
    expect(checkShards('10', 10)).toBe(10);
    expect(checkShards('3', undefined)).toBe(3);
  });
  it.each([
    ['0', 10],
    ['-1', 10],
    ['1.5', 10],
    ['x', 10],
    ['', 10],
    ['65', 1000],
    ['11', 10],
  ])('--shards %s with vus=%s is bad input naming --shards', (raw, vus) => {
    const e = (() => {
      try {
        checkShards(raw, vus);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).field).toBe('--shards');
    expect((e as InputError).message).toContain(JSON.stringify(raw));
  });
  it('names the VU count when shards outnumber VUs', () => {
    expect(() => checkShards('11', 10)).toThrow(/at most as many shards as VUs \(vus=10\)/);
  });
});

describe('mergeRaw', () => {
  it('appends the shard streams into one, ends a torn line, counts points per shard, removes the parts', () => {
    const a = join(dir, 'raw-0.ndjson');
    const b = join(dir, 'raw-1.ndjson');
    const c = join(dir, 'raw-2.ndjson');
    writeFileSync(a, `${point(0, 1)}\n${point(0, 2)}\n`);
    // A shard killed mid-write: its last line is cut short.
    writeFileSync(b, `${point(1, 3)}\n${point(1, 4).slice(0, 30)}`);
    const into = join(dir, 'raw.ndjson');
    // Shard 2 never started (no file): it counts 0 and is no error.
    expect(mergeRaw([a, b, c], into)).toEqual([2, 1, 0]);
    expect(existsSync(a) || existsSync(b)).toBe(false);
    const { records, unreadable } = parseNdjson(readFileSync(into, 'utf8'));
    expect(records.map((r) => (r as { data: { value: number } }).data.value)).toEqual([1, 2, 3]);
    expect(unreadable).toEqual([4]);
    expect(countPoints(into)).toBe(3);
  });
  it('counts a point line split across read chunks once', () => {
    const big = join(dir, 'raw-big.ndjson');
    const line = point(0, 7);
    const n = Math.ceil((3 << 20) / (line.length + 1));
    writeFileSync(big, `${`${line}\n`.repeat(n)}`);
    expect(countPoints(big)).toBe(n);
    expect(mergeRaw([big], join(dir, 'raw-big-merged.ndjson'))).toEqual([n]);
  });
});

const result = (over: Partial<K6RunResult>): K6RunResult => ({
  exitCode: 0,
  signal: null,
  timedOut: false,
  interrupted: false,
  wallMs: 1,
  rawPath: 'x',
  summaryPath: 'y',
  tail: ['last words'],
  ...over,
});

describe('shard status and the incomplete reason', () => {
  it('maps how a k6 process ended', () => {
    expect(shardStatus(result({}))).toBe('ok');
    expect(shardStatus(result({ exitCode: 99 }))).toBe('thresholds');
    expect(shardStatus(result({ exitCode: null, signal: 'SIGKILL' }))).toBe('killed');
    expect(shardStatus(result({ exitCode: 107 }))).toBe('failed');
    expect(shardStatus(result({ exitCode: 105, interrupted: true }))).toBe('interrupted');
    expect(shardStatus(result({ timedOut: true }))).toBe('timeout');
  });
  it('names a killed shard, its segment, signal and points; finished ones (incl. exit 99) are complete', () => {
    const shards: ShardOutcome[] = [
      { index: 0, segment: '0:1/2', exitCode: 0, signal: null, points: 10, status: 'ok' },
      {
        index: 1,
        segment: '1/2:1',
        exitCode: null,
        signal: 'SIGKILL',
        points: 4,
        status: 'killed',
        tail: ['x'],
      },
    ];
    expect(shardsIncomplete(shards, 420)).toBe(
      'shard 1 of 2 (segment 1/2:1) killed by SIGKILL after 4 points: x',
    );
    expect(
      shardsIncomplete(
        [
          { ...(shards[0] as ShardOutcome), exitCode: 99, status: 'thresholds' },
          { ...(shards[0] as ShardOutcome), index: 1 },
        ],
        420,
      ),
    ).toBeUndefined();
    expect(
      shardsIncomplete(
        [{ ...(shards[1] as ShardOutcome), status: 'timeout' }, shards[0] as ShardOutcome],
        420,
      ),
    ).toBe('k6 hit the 420s timeout');
    expect(
      shardsIncomplete(
        [
          {
            index: 0,
            segment: '0:1',
            exitCode: 107,
            signal: null,
            points: 0,
            status: 'failed',
            tail: ['a', 'b'],
          },
        ],
        1,
      ),
    ).toBe('k6 exited 107: a | b');
  });
});

describe('the plan of a sharded run against a registry URL', () => {
  it('says how many k6 processes carry the VUs', async () => {
    const { formatPlan } = await import('../../lib/k6/plan');
    const plan = {
      scenario: 'cold-pull',
      base: 'https://x.azurecr.io',
      host: 'x.azurecr.io',
      vus: 1000,
      iterations: 1,
      durationCapS: 300,
      credentials: 'anonymous',
      endpoints: [],
      requests: '?',
      bytes: '?',
    };
    expect(formatPlan({ ...plan, shards: 4 })).toContain('VUs:          1000 over 4 k6 processes (--shards)');
    expect(formatPlan(plan)).toMatch(/VUs: {10}1000\n/);
  });
});

describe('a sharded run cut off before the join', () => {
  it('stampede report joins the raw-<i>.ndjson left behind and rebuilds the page from every shard', async () => {
    const { mkdirSync } = await import('node:fs');
    const { loadRun } = await import('../../reports/load-run');
    const run = join(dir, 'cut-off');
    mkdirSync(run);
    const pulls = (shard: number) =>
      JSON.stringify({
        metric: 'pulls',
        type: 'Point',
        data: { time: '2026-01-01T00:00:01Z', value: 1, tags: { shard: String(shard), result: 'ok' } },
      });
    writeFileSync(join(run, 'raw-1.ndjson'), `${pulls(1)}\n${point(1, 900)}\n`);
    writeFileSync(join(run, 'raw-0.ndjson'), `${pulls(0)}\n${point(0, 100)}\n${pulls(0)}\n`);
    const loaded = loadRun(run);
    expect(loaded.fromRaw).toBe(true);
    expect(loaded.envelope.metrics.pulls).toEqual({ ok: 3, failed: 0 });
    expect(loaded.envelope.metrics.pullS).toMatchObject({ max: 0.9 });
    expect(existsSync(join(run, 'raw-0.ndjson'))).toBe(false);
    // Shard order kept: shard 0's lines first.
    expect(readFileSync(join(run, 'raw.ndjson'), 'utf8').split('\n')[0]).toBe(pulls(0));
  });
});
