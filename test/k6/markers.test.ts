/**
 * Run markers (lib/k6/markers.ts): each scenario's marker, written as the run writes it
 * (markers.ndjson beside k6's raw.ndjson, moved in after k6 exits, or by the report of a
 * killed run), appears as a rule on the time charts of the run's page.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flapMarker } from '../../lib/k6/dns-bounce/scenario';
import { scheduleMarkers } from '../../lib/k6/failover/schedule';
import { appendMarker, MARKERS, mergeMarkers } from '../../lib/k6/markers';
import { ackMarkers } from '../../lib/k6/push-pull-race/scenario';
import type { K6RunResult } from '../../lib/k6/run';
import { shardEndLabel } from '../../lib/k6/shards';
import { RAW } from '../../lib/results/run-dir';
import { errorsOverTimeSpec } from '../../reports/charts/errors-over-time';
import { loadOverTimeSpec } from '../../reports/charts/load-over-time';
import { loadRun } from '../../reports/load-run';
import { writeK6PullRaw } from '../fixtures/reports/k6-pull-raw';

const START = Date.parse('2026-12-05T07:00:00Z');
const base = mkdtempSync(join(tmpdir(), 'stampede-markers-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

/** A generated k6 run dir (about 8 s of points from START) with the markers written beside it. */
function runWith(markers: ReadonlyArray<{ kind: string; label: string; atMs: number }>, merge = true) {
  const dir = join(base, `run-${n++}`);
  mkdirSync(dir);
  writeK6PullRaw(join(dir, RAW), { vus: 4, iterations: 2, start: new Date(START).toISOString() });
  for (const m of markers) appendMarker(dir, m.kind, m.label, m.atMs);
  if (merge) expect(mergeMarkers(dir, join(dir, RAW))).toBe(markers.length);
  const run = loadRun(dir);
  expect(existsSync(join(dir, MARKERS))).toBe(false);
  return {
    run,
    load: JSON.stringify(loadOverTimeSpec(run.k6)),
    errors: JSON.stringify(errorsOverTimeSpec(run.k6)),
  };
}

describe('run markers on the time charts', () => {
  it('failover: fault injected and cleared, each Traffic Manager switch', () => {
    const markers = scheduleMarkers({
      t0Ms: START,
      home: 'eastus',
      regions: ['eastus', 'westus'],
      fault: { kind: 'front-errors', region: 'eastus', sinceMs: START + 1500, clearedMs: START + 4000 },
      transitions: [{ atMs: START + 2500, region: 'eastus', to: 'degraded' }],
      probeAtMs: null,
      lookupsMs: [],
      settings: {},
    });
    expect(markers.map((m) => m.label)).toEqual([
      'front-errors injected in eastus',
      'front-errors cleared',
      'DNS: eastus degraded',
    ]);
    const { run, load, errors } = runWith(markers);
    expect(run.k6?.markers.filter((m) => m.kind === 'fault').map((m) => m.t)).toEqual([1.5, 4]);
    for (const spec of [load, errors]) for (const m of markers) expect(spec).toContain(m.label);
    // A fault never injected (the run cut short first) marks nothing.
    expect(
      scheduleMarkers({
        t0Ms: START,
        home: 'eastus',
        regions: ['eastus'],
        fault: { kind: 'throttle', region: 'eastus', sinceMs: null, clearedMs: null },
        transitions: [],
        probeAtMs: null,
        lookupsMs: [],
        settings: {},
      }),
    ).toEqual([]);
  });

  it('dns-bounce: the flap, set before k6 started, at the axis start saying how long before', () => {
    const { run, load } = runWith([flapMarker(['eastus', 'westus'], 2, START - 3200)]);
    const m = run.k6?.markers.find((x) => x.kind === 'dns');
    expect(m).toEqual({
      t: 0,
      kind: 'dns',
      label: 'dns flap starts: eastus <-> westus every 2 s (3.2 s before)',
    });
    expect(load).toContain('dns flap starts: eastus <-> westus every 2 s');
  });

  it('shards: each start and how each ended, from a killed run too (the report moves the markers)', () => {
    const r = (o: Partial<K6RunResult>): K6RunResult => ({
      exitCode: 0,
      signal: null,
      timedOut: false,
      interrupted: false,
      wallMs: 1,
      rawPath: '',
      summaryPath: '',
      tail: [],
      ...o,
    });
    const ends = [
      shardEndLabel(0, r({})),
      shardEndLabel(1, r({ exitCode: null, signal: 'SIGKILL' })),
      shardEndLabel(2, r({ exitCode: 107 })),
      shardEndLabel(3, r({ timedOut: true })),
    ];
    expect(ends).toEqual([
      'shard 0 done',
      'shard 1 killed (SIGKILL)',
      'shard 2 exited 107',
      'shard 3 timed out',
    ]);
    const markers = [
      { kind: 'shard', label: 'shard 0 starts', atMs: START },
      { kind: 'shard', label: 'shard 1 starts', atMs: START + 10 },
      { kind: 'shard', label: ends[1] as string, atMs: START + 3000 },
    ];
    // Not merged by a run (it was killed): loadRun moves markers.ndjson into raw.ndjson.
    const { run, load } = runWith(markers, false);
    expect(run.k6?.markers.filter((m) => m.kind === 'shard').map((m) => m.label)).toEqual([
      'shard 0 starts',
      'shard 1 starts',
      'shard 1 killed (SIGKILL)',
    ]);
    expect(load).toContain('shard 1 killed (SIGKILL)');
  });

  it('push-pull-race: a marker per acked push, none for a failed one', () => {
    const point = (round: number, phase: string, result: string, ackMs: number) => ({
      type: 'Point',
      metric: 'race_push',
      data: {
        time: new Date(ackMs).toISOString(),
        value: ackMs,
        tags: { round: String(round), phase, result },
      },
    });
    const raw = ackMarkers([
      point(1, 'd1', 'ok', START + 1000),
      point(2, 'd1', 'BLOB_UPLOAD_INVALID', START + 1500),
      point(2, 'd2', 'ok', START + 2000),
    ]);
    expect(raw.map((m) => m.label)).toEqual(['push 1 acked', 'push 2 d2 acked']);
    // As own-summary appends summarize's raw records to raw.ndjson.
    const dir = join(base, 'race');
    mkdirSync(dir);
    writeK6PullRaw(join(dir, RAW), { vus: 2, iterations: 2, start: new Date(START).toISOString() });
    appendFileSync(join(dir, RAW), raw.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const run = loadRun(dir);
    expect(run.k6?.markers.filter((m) => m.kind === 'push').map((m) => m.t)).toEqual([1, 2]);
    expect(JSON.stringify(loadOverTimeSpec(run.k6))).toContain('push 2 d2 acked');
  });

  it('a torn last k6 line stays apart from the markers appended after it', () => {
    const dir = join(base, 'torn');
    mkdirSync(dir);
    writeK6PullRaw(join(dir, RAW), { vus: 2, iterations: 1, start: new Date(START).toISOString() });
    appendFileSync(join(dir, RAW), '{"metric":"vus","type":"Po');
    appendMarker(dir, 'fault', 'storage fault', START + 500);
    mergeMarkers(dir, join(dir, RAW));
    const lines = readFileSync(join(dir, RAW), 'utf8').trimEnd().split('\n');
    expect(JSON.parse(lines[lines.length - 1] as string)).toMatchObject({
      type: 'marker',
      label: 'storage fault',
    });
    expect(loadRun(dir).k6?.markers.map((m) => m.label)).toContain('storage fault');
  });
});
