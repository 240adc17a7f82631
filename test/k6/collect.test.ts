/**
 * collect.ts on recorded k6 output: two real runs of scenarios/cold-pull.ts by the pinned
 * k6 (one through a proxy that answered the first ping 429 and every first blob GET 503
 * ServerBusy, one for an image that does not exist), concatenated.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectMetrics, isPoint, k6Envelope } from '../../lib/k6/collect';
import { isEnvelope } from '../../lib/results/envelope';
import { killedK6Records } from '../fixtures/reports/envelopes';

const records = readFileSync(join(import.meta.dirname, '../fixtures/k6/cold-pull-recorded.ndjson'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as unknown);

describe('collectMetrics on recorded k6 JSON output', () => {
  const m = collectMetrics(records);

  it('counts pulls, throttling by code and errors by OCI code', () => {
    expect(m.pulls).toEqual({ ok: 1, failed: 1 });
    expect(m.throttleEvents).toBe(4);
    expect(m.throttleByCode).toEqual({ '429': 1, '503': 3 });
    expect(m.errors).toEqual({ total: 1, byCode: { MANIFEST_UNKNOWN: 1 } });
  });

  it('turns the pull_duration Trend (ms) into pullS quantiles in seconds', () => {
    // one successful pull of 1326 ms (it waited out a 1 s Retry-After)
    expect(m.pullS).toEqual({ p50: 1.326, p90: 1.326, p99: 1.326, max: 1.326 });
    expect(m.layerS?.max).toBeGreaterThan(0);
    expect(m.nodeEgressBps?.p50).toBeGreaterThan(0);
  });

  it('adds up layer bytes and HTTP requests per step', () => {
    expect(m.bytes).toBe(90 + 200_000 + 300_000);
    expect(m.http.requests).toBe(11);
    expect(m.http.byStep).toEqual({ ping: 3, manifest: 2, blob: 6 });
  });

  it('bins a per-second time series that accounts for every event', () => {
    const sum = (k: 'pullsOk' | 'pullsFailed' | 'throttled' | 'errors' | 'httpReqs' | 'bytes') =>
      m.timeSeries.reduce((a, r) => a + r[k], 0);
    expect(m.timeSeries[0]?.t).toBe(0);
    expect(sum('pullsOk')).toBe(1);
    expect(sum('pullsFailed')).toBe(1);
    expect(sum('throttled')).toBe(4);
    expect(sum('errors')).toBe(1);
    expect(sum('httpReqs')).toBe(11);
    expect(sum('bytes')).toBe(m.bytes);
    // the 429 came in the first second, the blob 503s after the 1 s Retry-After
    expect(m.timeSeries[0]?.throttled).toBe(1);
  });

  it('wraps it all in a k6 result envelope', () => {
    const e = k6Envelope({ name: 'cold-pull', params: { vus: 1 }, records, wallMs: 2000 });
    expect(isEnvelope(e)).toBe(true);
    expect(e.kind).toBe('k6');
    expect(e.points[0]?.metrics.pullS).toEqual(m.pullS);
    expect(e.runtime.events).toBe(records.filter(isPoint).length);
  });

  it('ignores lines that are not points (metric declarations, junk)', () => {
    const only = collectMetrics([{ type: 'Metric', metric: 'pulls', data: {} }, null, 'x', 42]);
    expect(only.pulls).toEqual({ ok: 0, failed: 0 });
    // No pull finished: no quantiles at all (0 s would read as instant pulls).
    for (const key of ['pullS', 'pullCdf', 'layerS', 'nodeEgressBps'])
      expect(only, key).not.toHaveProperty(key);
  });

  it("counts the token flow's 401 challenges and the 307s apart from failed requests", () => {
    // A lab run through the token flow: every pull's GET /v2/ is answered 401, as expected.
    const lab = collectMetrics(killedK6Records());
    expect(lab.http.byStep.ping).toBe(9);
    expect(lab.http.expected).toEqual({ challenge401: 9, redirect307: 32 });
    expect(lab.http.failed).toBe(0);
    // A 401 anywhere else is a failure.
    const other = collectMetrics(
      ['http_reqs', 'http_req_failed'].map((metric) => ({
        type: 'Point',
        metric,
        data: { time: '2026-01-01T00:00:00Z', value: 1, tags: { step: 'token', status: '401' } },
      })),
    );
    expect(other.http).toMatchObject({ requests: 1, failed: 1, expected: { challenge401: 0 } });
  });
});
