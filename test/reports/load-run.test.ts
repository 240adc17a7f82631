import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectMetrics } from '../../lib/k6/collect';
import { parseNdjson } from '../../lib/results/ndjson';
import { envelopeFromRaw } from '../../reports/from-raw';
import { loadRun } from '../../reports/load-run';
import {
  copySweepEnvelope,
  k6Envelope,
  k6Raw,
  killedK6Records,
  killedK6RunDir,
  writeRunDir,
} from '../fixtures/reports/envelopes';
import { inputError } from '../helpers/input-error';

const base = mkdtempSync(join(tmpdir(), 'stampede-load-run-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('loadRun', () => {
  it('reads summary.json and raw.ndjson', () => {
    const dir = writeRunDir(join(base, 'k6'), k6Envelope(), k6Raw());
    const run = loadRun(dir);
    expect(run.fromRaw).toBe(false);
    expect(run.envelope.name).toBe('cold-pull');
    // k6's points are folded into per-bin aggregates while read; the other records are kept.
    const points = k6Raw().filter((r) => r.type === 'Point');
    expect(run.raw).toHaveLength(k6Raw().length - points.length);
    expect(run.k6?.points).toBe(points.length);
    expect(run.k6?.load.reduce((a, r) => a + r.requests, 0)).toBe(points.length);
    expect(run.date).toMatch(/^\d{4}-/);
  });

  it('prefers the runner-written date', () => {
    const run = loadRun(writeRunDir(join(base, 'sweep'), copySweepEnvelope()));
    expect(run.date).toBe('2026-01-15T09:30:00Z');
  });

  it('rebuilds from raw.ndjson when summary.json is missing', () => {
    const dir = join(base, 'raw-only');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'raw.ndjson'),
      [
        JSON.stringify({
          type: 'meta',
          name: 'copy-sweep',
          kind: 'sim',
          seed: 3,
          params: { nodes: 4, token: 'x' },
        }),
        JSON.stringify({ point: 'Low', podStartupS: 10, egressBps: 1e6, throttleEvents: 2 }),
        JSON.stringify({ point: 'Low', podStartupS: 20, egressBps: 2e6, throttleEvents: 1 }),
        JSON.stringify({ point: 'Mid', podStartupS: 5, error: 'BLOB_UNKNOWN' }),
        '{"point":"Mid","podSt', // torn last line of a killed writer
      ].join('\n'),
    );
    const run = loadRun(dir);
    expect(run.fromRaw).toBe(true);
    const e = run.envelope;
    expect(e).toMatchObject({ name: 'copy-sweep', kind: 'sim', seed: 3, params: { nodes: 4 } });
    expect(e.incomplete?.reason).toMatch(/summary.json missing/);
    expect(e.points.map((p) => p.label)).toEqual(['Low', 'Mid']);
    const low = e.points[0]?.metrics;
    expect(low?.podStartupS).toEqual({ p50: 15, p90: 19, p99: 19.9, max: 20 });
    expect(low?.throttleEvents).toBe(3);
    expect(low?.nodeEgressBps?.p50).toBe(1.5e6);
    expect(e.points[1]?.metrics.errors).toEqual({ total: 1, byCode: { BLOB_UNKNOWN: 1 } });
    expect(e.metrics.podStartupCdf).toHaveLength(3);
  });

  it('names the path in every bad-input error', () => {
    const missing = join(base, 'nope');
    const e1 = inputError(() => loadRun(missing));
    expect(e1.exitCode).toBe(2);
    expect(e1.message).toContain(missing);

    const empty = join(base, 'empty');
    mkdirSync(empty);
    expect(inputError(() => loadRun(empty)).message).toContain(empty);

    const bad = join(base, 'bad-json');
    mkdirSync(bad);
    writeFileSync(join(bad, 'summary.json'), '{"tool": "stampede", ');
    expect(inputError(() => loadRun(bad)).message).toContain(join(bad, 'summary.json'));

    const garbage = join(base, 'garbage-raw');
    mkdirSync(garbage);
    writeFileSync(join(garbage, 'raw.ndjson'), 'not json\n');
    expect(inputError(() => loadRun(garbage)).message).toContain(join(garbage, 'raw.ndjson'));
  });
});

describe('envelopeFromRaw', () => {
  it('rebuilds a killed k6 run from k6 output with the run command summary code', () => {
    // Real k6 JSON output (one pull of the lab's cold-pull scenario).
    const recorded = readFileSync(
      join(import.meta.dirname, '../fixtures/k6/cold-pull-recorded.ndjson'),
      'utf8',
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const e = envelopeFromRaw(recorded, 'dir-name');
    expect(e.kind).toBe('k6');
    // The scenario k6 tagged its points with, as the run command names a finished run's
    // summary, not the timestamped dir name: comparisons pair points by that label.
    expect(e.name).toBe('cold-pull');
    expect(e.runtime.wallMs).toBeGreaterThan(1000);
    expect(e.incomplete?.reason).toMatch(/summary\.json missing: rebuilt from 164 raw record/);
    expect(e.metrics.pulls).toEqual({ ok: 1, failed: 1 });
    expect(e.metrics.pullS?.max).toBeCloseTo(1.326, 3);
    expect(e.metrics.pullCdf).toEqual([{ value: 1.326, fraction: 1 }]);
    expect(e.points.map((p) => p.label)).toEqual(['cold-pull']);
  });
});

describe('a real killed k6 run', () => {
  it('is rebuilt with the metrics its summary would have had', () => {
    const run = loadRun(killedK6RunDir(join(base, 'killed-k6')));
    expect(run.fromRaw).toBe(true);
    // Its torn last line is what a kill leaves: dropped without a warning.
    expect(run.unreadable).toEqual([]);
    const e = run.envelope;
    expect(e).toMatchObject({ kind: 'k6', name: 'cold-pull' });
    const pullsMs = killedK6Records()
      .filter((r) => r.metric === 'pull_duration' && r.type === 'Point')
      .map((r) => (r.data as { value: number }).value);
    expect(pullsMs).toHaveLength(8);
    expect(e.metrics.pulls).toEqual({ ok: 8, failed: 0 });
    expect(e.metrics.pullS?.max).toBeCloseTo(Math.max(...pullsMs) / 1000, 9);
    expect(e.metrics.errors).toEqual({ total: 0, byCode: {} });
    // Exactly what the run command computes from the same records.
    const { timeSeries: _, ...expected } = collectMetrics(killedK6Records());
    expect(e.metrics).toMatchObject(JSON.parse(JSON.stringify(expected)));
    const cdf = e.metrics.pullCdf as Array<{ value: number; fraction: number }>;
    expect(cdf).toHaveLength(8);
    expect(cdf.at(-1)).toEqual({ value: Math.max(...pullsMs) / 1000, fraction: 1 });
    expect(e.points).toHaveLength(1);
    expect(e.points[0]?.label).toBe('cold-pull');
  });
});

describe('raw.ndjson lines', () => {
  it('drops a torn last line quietly and counts every other unreadable line', () => {
    const ok = (i: number) => JSON.stringify({ t: i, pullS: i });
    const text = [
      ok(1),
      '{"t": 2, "pul', // corrupt in the middle
      ok(3),
      '\u0000\u0001\u00ff\ufffdPNG\u001a',
      '42', // JSON, but not a record
      '',
      ok(4),
      '{"t": 5, "pu', // torn: no newline after it
    ].join('\n');
    expect(parseNdjson(text)).toEqual({
      records: [1, 3, 4].map((i) => ({ t: i, pullS: i })),
      unreadable: [2, 4, 5],
    });
    // A bad line followed by a newline was written whole: not torn, so counted.
    expect(parseNdjson(`${ok(1)}\n{nope\n`).unreadable).toEqual([2]);
  });

  it('loadRun reports the skipped lines of a run with a summary', () => {
    const dir = writeRunDir(join(base, 'corrupt'), k6Envelope());
    writeFileSync(
      join(dir, 'raw.ndjson'),
      Buffer.concat([
        Buffer.from(`${JSON.stringify(k6Raw()[0])}\n{"broken\n`),
        Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x0a]),
        Buffer.from(`${JSON.stringify(k6Raw()[1])}\n`),
      ]),
    );
    const run = loadRun(dir);
    // Line 1 is a k6 point (aggregated, not kept), line 4 a per-pull record.
    expect(run.k6?.points).toBe(1);
    expect(run.raw).toHaveLength(1);
    expect(run.unreadable).toEqual([2, 3]);
  });

  it("folds a sweep's point runs into its own page: load over time across the points, its markers kept", () => {
    const dir = join(base, 'measured-sweep');
    const shift = (records: Array<Record<string, unknown>>, s: number) =>
      records.map((r) => {
        const data = r.data as { time?: string } | undefined;
        return data?.time
          ? { ...r, data: { ...data, time: new Date(Date.parse(data.time) + s * 1000).toISOString() } }
          : r;
      });
    const points = k6Raw().filter((r) => r.type === 'Point');
    const marker = (label: string, at: string) => ({ type: 'marker', kind: 'sweep', label, time: at });
    writeRunDir(dir, { ...k6Envelope(), name: 'copy-sweep' }, [
      marker('C=1 starts', '2026-01-15T10:00:00Z'),
      marker('C=2 starts', '2026-01-15T10:02:00Z'),
    ]);
    // A measured copy sweep keeps each point's k6 output in points/NN-<label>/ ...
    writeRunDir(join(dir, 'points', '01-C-1'), undefined, k6Raw());
    writeRunDir(join(dir, 'points', '02-C-2'), undefined, shift(k6Raw(), 120));
    // ... a --set list sweep in NN-<path>=<value>/ beside its summary; other folders are not points.
    writeRunDir(join(dir, '03-vus=4'), undefined, shift(k6Raw(), 240));
    writeRunDir(join(dir, 'notes'), undefined, k6Raw());
    const run = loadRun(dir);
    expect(run.k6?.points).toBe(3 * points.length);
    expect(run.k6?.load.reduce((a, r) => a + r.requests, 0)).toBe(3 * points.length);
    // Time runs from the first point's first request to the third point's last (binned).
    const t = run.k6?.load.map((r) => r.t) ?? [];
    expect(Math.max(...t) - Math.min(...t)).toBeGreaterThan(240);
    expect(run.raw.filter((r) => r.type === 'marker')).toHaveLength(2);
    expect(run.unreadable).toEqual([]);
  });
});
