/**
 * The cache-stampede run's bookkeeping: the upstream counters' difference over a run, the
 * split of k6's records into waves by k6's `scenario` tag, one point per wave, and the wave
 * gate (wave-2 VUs wait until every wave-1 pull has ended and the run opens it).
 */
import { describe, expect, it } from 'vitest';
import { startWaveGate } from '../../lib/k6/cache-stampede/gate';
import { type UpstreamCounters, upstreamDelta, wavePoints } from '../../lib/k6/cache-stampede/summary';

const counters = (manifestGets: number, blob: number, throttled: number): UpstreamCounters => ({
  requests: { manifest: manifestGets, blob, other: 0 },
  manifestGets,
  bytes: { manifest: manifestGets * 500, blob: blob * 1000, other: 0 },
  throttled: { manifest: throttled, blob: 0, other: 0 },
  errors5xx: 0,
  dropped: 0,
  byClient: {},
});

const point = (scenario: string, metric: string, value: number, tags: Record<string, string> = {}) => ({
  type: 'Point',
  metric,
  data: { time: '2026-12-05T11:00:00Z', value, tags: { scenario, ...tags } },
});

describe('cache-stampede summary', () => {
  it('upstreamDelta is after minus before, bytes and 429s summed over kinds', () => {
    expect(upstreamDelta(counters(41, 10, 30), counters(1, 3, 0))).toEqual({
      requests: { manifest: 40, blob: 7, manifestGets: 40 },
      bytes: 40 * 500 + 7 * 1000,
      throttled: 30,
      errors5xx: 0,
      dropped: 0,
    });
  });

  it('one point per wave: k6 records split by scenario, upstream traffic split at the gate', () => {
    const records = [
      point('wave1', 'pulls', 1, { result: 'ok' }),
      point('wave1', 'pulls', 1, { result: 'failed' }),
      point('wave1', 'errors', 1, { code: 'TOOMANYREQUESTS' }),
      point('wave1', 'pull_duration', 2000),
      point('wave2', 'pulls', 1, { result: 'ok' }),
      point('wave2', 'pull_duration', 100),
    ];
    const points = wavePoints({
      records,
      waves: 2,
      params: {},
      before: counters(0, 0, 0),
      split: counters(1, 3, 0),
      after: counters(1, 3, 0),
    });
    const [cold, warm] = points.map(
      (p) => p.metrics as Record<string, { requests?: unknown; byCode?: unknown }>,
    );
    expect(points.map((p) => p.label)).toEqual(['cold (wave 1)', 'hydrated (wave 2, by digest)']);
    expect(cold?.pulls).toEqual({ ok: 1, failed: 1 });
    expect(cold?.errors?.byCode).toEqual({ TOOMANYREQUESTS: 1 });
    expect(cold?.upstream?.requests).toEqual({ manifest: 1, blob: 3, manifestGets: 1 });
    expect(warm?.pulls).toEqual({ ok: 1, failed: 0 });
    expect(warm?.upstream?.requests).toEqual({ manifest: 0, blob: 0, manifestGets: 0 });
  });

  it('the wave gate counts finished pulls and releases waiters when opened', async () => {
    const gate = await startWaveGate();
    try {
      await fetch(`${gate.url}/done`, { method: 'POST' });
      await fetch(`${gate.url}/done`, { method: 'POST' });
      expect(gate.done()).toBe(2);
      const waiting = fetch(`${gate.url}/gate`).then((r) => r.status);
      gate.open();
      expect(await waiting).toBe(200);
      expect((await fetch(`${gate.url}/gate`)).status).toBe(200);
    } finally {
      await gate.close();
    }
  });
});
