/**
 * The k6 aggregate on a generated lab run (test/fixtures/reports/k6-pull-raw.ts: the lines a
 * real cold-pull run writes, with a storage fault on the -b0 backends from 2 s to 4 s): per
 * bin percentiles from the bin's own samples, every request counted once, expected 401/307
 * apart, and the streamed file giving what the in-memory records give.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quantileSorted } from 'simple-statistics';
import { afterAll, describe, expect, it } from 'vitest';
import { collectMetrics } from '../../lib/k6/collect';
import { aggregateK6, backendOf, EXPECTED_307, EXPECTED_401, MAX_BINS } from '../../reports/k6-aggregate';
import { streamRawFile } from '../../reports/stream-raw';
import { k6PullRaw } from '../fixtures/reports/k6-pull-raw';

const base = mkdtempSync(join(tmpdir(), 'stampede-k6-agg-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const gen = k6PullRaw({ vus: 12, iterations: 3, faultFromS: 2, faultToS: 4 });
const sizes = new Map(gen.layers.map((l) => [l.digest, l.size]));
const agg = aggregateK6(gen.records, { blobSizes: sizes });
const points = gen.records.filter((r) => r.type === 'Point') as Array<{
  metric: string;
  data: { time: string; value: number; tags: Record<string, string> };
}>;
const durations = points.filter((r) => r.metric === 'http_req_duration') as Array<{
  data: { time: string; value: number; tags: Record<string, string> };
}>;

describe('k6 aggregate', () => {
  it('counts every request once, in bins of a round width', () => {
    if (!agg) throw new Error('no aggregate');
    expect(agg.load.reduce((a, r) => a + r.requests, 0)).toBe(durations.length);
    expect(agg.load.length).toBeLessThanOrEqual(MAX_BINS);
    expect([0.1, 0.2, 0.5, 1, 2, 5]).toContain(agg.binS);
    const reqs = agg.load.reduce((a, r) => a + r.reqPerS * agg.binS, 0);
    expect(reqs).toBeCloseTo(durations.length, 6);
  });

  it("computes each bin's P50/P95/P99 from that bin's own samples", () => {
    if (!agg) throw new Error('no aggregate');
    const t0 = Math.min(...points.map((d) => Date.parse(d.data.time)));
    const origin = Math.floor(t0 / 100) * 100;
    const busiest = agg.load.reduce((a, r) => (r.requests > a.requests ? r : a));
    const inBin = durations
      .filter((d) => {
        const t = (Date.parse(d.data.time) - origin) / 1000;
        return t >= busiest.t - 1e-9 && t < busiest.t + agg.binS - 1e-9;
      })
      .map((d) => d.data.value)
      .sort((a, b) => a - b);
    expect(inBin.length).toBe(busiest.requests);
    expect(busiest.p50).toBeCloseTo(quantileSorted(inBin, 0.5), 2);
    expect(busiest.p99).toBeCloseTo(quantileSorted(inBin, 0.99), 2);
  });

  it('counts the 401 challenges and 307s apart from failures; failures by status and OCI code', () => {
    if (!agg) throw new Error('no aggregate');
    const total = (code: string) => agg.codes.filter((c) => c.code === code).reduce((a, c) => a + c.count, 0);
    expect(total(EXPECTED_401)).toBe(12 * 3);
    expect(total(EXPECTED_307)).toBe(durations.filter((d) => d.data.tags.status === '307').length);
    const failed503 = durations.filter((d) => d.data.tags.status === '503').length;
    expect(failed503).toBeGreaterThan(0);
    expect(total('HTTP 503')).toBe(failed503);
    expect(agg.load.reduce((a, r) => a + r.failedPerS * agg.binS, 0)).toBeCloseTo(failed503, 6);
    const pullErrors = points.filter((r) => r.metric === 'errors').length;
    expect(total('pull failed: SERVER_BUSY')).toBe(pullErrors);
  });

  it('breaks the pull into its steps with shares adding up to 1, and throughput per layer size', () => {
    if (!agg) throw new Error('no aggregate');
    expect(agg.steps.map((s) => s.step)).toEqual(['ping', 'token', 'manifest', 'blob', 'blob-data']);
    expect(agg.steps.reduce((a, s) => a + s.share, 0)).toBeCloseTo(1, 9);
    expect(agg.steps.find((s) => s.step === 'ping')?.requests).toBe(36);
    expect(agg.layers.map((l) => l.sizeBytes)).toEqual([1024, 1 << 20, 2 << 20, 4 << 20]);
    for (const l of agg.layers) expect(l.p10).toBeLessThanOrEqual(l.p90);
  });

  it('puts bytes on the backend and region that served them, 503s in the fault window', () => {
    if (!agg) throw new Error('no aggregate');
    const served = agg.backends.reduce((a, r) => a + (r.bytesPerS ?? 0) * agg.binS, 0);
    const layerBytes = points.filter((r) => r.metric === 'layer_bytes').reduce((a, r) => a + r.data.value, 0);
    // Config blobs are not in the seeded layers: their 1 kB each is not attributed.
    const configs = points.filter(
      (r) => r.metric === 'layer_duration' && r.data.tags.kind === 'config',
    ).length;
    expect(Math.round(served)).toBe(layerBytes - configs * 1024);
    expect(new Set(agg.backends.map((r) => r.region))).toEqual(new Set(['eastus', 'westus']));
    const r503 = agg.backends.filter((r) => r.r503 > 0);
    expect(r503.every((r) => r.backend.endsWith('-b0') && r.t >= 1.5 && r.t < 4.5)).toBe(true);
    expect(agg.markers.map((m) => m.label)).toEqual(['storage fault injected', 'storage fault cleared']);
    expect(agg.markers[0]?.t).toBeCloseTo(2, 1);
    expect(backendOf('https://eastus-b2.blob.stampede.test:8080/x')).toEqual({
      backend: 'eastus-b2',
      region: 'eastus',
    });
    expect(backendOf('http://contoso.stampede.test/v2/')).toBeUndefined();
  });

  it('streams a file to the same aggregate and the summary collectMetrics gives', () => {
    const path = join(base, 'raw.ndjson');
    writeFileSync(path, `${gen.records.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const s = streamRawFile(path, { blobSizes: sizes });
    expect(s.k6?.aggregate).toEqual(agg);
    expect(s.k6?.metrics).toEqual(collectMetrics(gen.records));
    expect(s.k6?.points).toBe(gen.records.filter((r) => r.type === 'Point').length);
    expect(s.records.map((r) => r.type)).toEqual(['marker', 'marker']);
    expect(s.unreadable).toEqual([]);
  });

  it('is undefined without k6 points', () => {
    expect(aggregateK6([{ t: 1, podStartupS: 3 }])).toBeUndefined();
  });
});

describe('streamRawFile', () => {
  it("counts each request once whatever the order of a line's keys", () => {
    const path = join(base, 'reordered.ndjson');
    // JSON.stringify of the generated objects puts "metric" first; these put "type" first.
    const lines = gen.records.map((r) => JSON.stringify({ type: r.type, ...r }));
    writeFileSync(path, `${lines.join('\n')}\n`);
    const s = streamRawFile(path);
    expect(s.k6?.metrics.http).toEqual(collectMetrics(gen.records).http);
  });
});
