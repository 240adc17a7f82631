import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envelopeFromRaw } from '../../reports/from-raw';
import { loadRun } from '../../reports/load-run';
import { copySweepEnvelope, k6Envelope, k6Raw, writeRunDir } from '../fixtures/reports/envelopes';
import { inputError } from '../helpers/input-error';

const base = mkdtempSync(join(tmpdir(), 'stampede-load-run-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('loadRun', () => {
  it('reads summary.json and raw.ndjson', () => {
    const dir = writeRunDir(join(base, 'k6'), k6Envelope(), k6Raw());
    const run = loadRun(dir);
    expect(run.fromRaw).toBe(false);
    expect(run.envelope.name).toBe('cold-pull');
    expect(run.raw).toHaveLength(k6Raw().length);
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
    expect(e.name).toBe('dir-name');
    expect(e.incomplete?.reason).toMatch(/summary\.json missing: rebuilt from 164 raw record/);
    expect(e.metrics.pulls).toEqual({ ok: 1, failed: 1 });
    expect(e.metrics.pullS?.max).toBeCloseTo(1.326, 3);
    expect(e.metrics.pullCdf).toEqual([{ value: 1.326, fraction: 1 }]);
    expect(e.points.map((p) => p.label)).toEqual(['dir-name']);
  });
});
