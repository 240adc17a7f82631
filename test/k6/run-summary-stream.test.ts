/**
 * `stampede run` writes summary.json from one streamed pass over raw.ndjson
 * (reports/stream-raw.ts with `keep`): the envelope equals the one built from every record
 * loaded (the old way), summarize and the thresholds get the points they read, and the heap
 * stays bounded on a big generated run (no timing asserted).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summaryKeep } from '../../lib/cli/commands/run';
import { isPoint, k6Envelope } from '../../lib/k6/collect';
import { getScenario } from '../../lib/k6/scenarios';
import { evaluateThresholds } from '../../lib/k6/thresholds';
import { readNdjson } from '../../lib/results/ndjson';
import { streamRawFile } from '../../reports/stream-raw';
import { writeK6PullRaw } from '../fixtures/reports/k6-pull-raw';

const RECORDED = resolve(__dirname, '../fixtures/k6/cold-pull-recorded.ndjson');
const dir = mkdtempSync(join(tmpdir(), 'stampede-run-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const envelopeOf = (records: readonly unknown[], collected?: Parameters<typeof k6Envelope>[0]['collected']) =>
  k6Envelope({
    name: 'cold-pull',
    params: {},
    records,
    wallMs: 1,
    ...(collected ? { collected } : {}),
  });

describe('run summary from the streamed collector', () => {
  for (const [label, path] of [
    ['a recorded k6 run', RECORDED],
    ['a generated run with a storage fault', join(dir, 'small.ndjson')],
  ] as const)
    it(`equals the summary of every record loaded: ${label}`, () => {
      if (path !== RECORDED) writeK6PullRaw(path, { vus: 4, iterations: 3, faultFromS: 2, faultToS: 5 });
      const all = readNdjson(path);
      const streamed = streamRawFile(path, { keep: new Set() });
      expect(streamed.k6).toBeDefined();
      const k6 = streamed.k6 as NonNullable<typeof streamed.k6>;
      const old = envelopeOf(all);
      expect(old.metrics.pulls).toEqual(k6.metrics.pulls);
      expect(envelopeOf([], k6)).toEqual(old);
    });

  it('keeps the points summarize and the thresholds read, and decides thresholds alike', () => {
    const path = join(dir, 'keep.ndjson');
    writeK6PullRaw(path, { vus: 3, iterations: 2, faultFromS: 1, faultToS: 3 });
    const all = readNdjson(path);
    const thresholds = { pull_duration: ['p(95)<100000', 'max<1'], 'http_reqs{step:blob}': ['count>0'] };
    const keep = summaryKeep(getScenario('cold-pull'), { thresholds });
    expect(keep).toEqual(new Set(['pull_duration', 'http_reqs']));
    const streamed = streamRawFile(path, { keep });
    const want = all.filter((r) => isPoint(r) && (keep as Set<string>).has(r.metric));
    expect(streamed.kept.filter(isPoint)).toEqual(want);
    expect(streamed.kept.some((r) => r.type === 'Metric')).toBe(true);
    // The span of the points the report reads is the run's: the counts and quantiles match.
    const old = evaluateThresholds(thresholds, all);
    const now = evaluateThresholds(thresholds, streamed.kept, streamed.k6?.spanMs);
    expect(now).toEqual(old);
    expect(now.map((t) => t.ok)).toEqual([true, false, true]);
  });

  it("holds a scenario's own metrics for its summarize, every point when it names none", () => {
    const failover = getScenario('failover');
    expect(summaryKeep(failover, { thresholds: {} })).toEqual(new Set(['failover_request']));
    const own = { ...getScenario('cold-pull'), summarize: () => ({ metrics: {} }) };
    expect(summaryKeep(own, { thresholds: {} })).toBe(true);
  });

  it('holds the heap bounded on a 300k-line run (the old load held every record)', () => {
    const path = join(dir, 'big.ndjson');
    const { lines } = writeK6PullRaw(path, { vus: 270, iterations: 10, faultFromS: 20, faultToS: 40 });
    expect(lines).toBeGreaterThanOrEqual(300_000);
    const before = process.memoryUsage().heapUsed;
    const streamed = streamRawFile(path, { keep: summaryKeep(getScenario('cold-pull'), { thresholds: {} }) });
    const grown = process.memoryUsage().heapUsed - before;
    expect(streamed.k6?.points).toBe(lines - 5 - 2); // declarations and markers are not points
    expect(envelopeOf([], streamed.k6).metrics.pulls).toEqual({ ok: 2700, failed: 0 });
    // What is held after the pass: the per-bin aggregate and the collector's per-event
    // numbers, not the ~300k records (several hundred MB as objects).
    expect(grown).toBeLessThan(120 * 2 ** 20);
  });
});
