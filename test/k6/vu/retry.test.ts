/**
 * withRetry: 429 and 503 are sent again with bounded back-off (Retry-After honoured,
 * jittered), other answers pass straight through; throttling is reported only for 429 and
 * storage 503 ServerBusy, never for a 503 of a region that is down (issue 12 item 12).
 */
import { describe, expect, it } from 'vitest';
import { withRetry } from '../../../lib/k6/vu/retry';
import { type Answer, fakeHttp, ociError } from './fake-http';

function policy(maxRetries: number) {
  const sleeps: number[] = [];
  const throttles: Array<[number, string]> = [];
  return {
    sleeps,
    throttles,
    p: {
      maxRetries,
      sleep: (s: number) => sleeps.push(s),
      random: () => 0.5, // jitter factor 0.5 + 0.5 = 1: waits are the back-off itself
      onThrottle: (status: number, step: string) => throttles.push([status, step]),
    },
  };
}

describe('withRetry', () => {
  it('resends a 429 after its Retry-After, then returns the success', () => {
    let n = 0;
    const http = fakeHttp(() =>
      n++ === 0 ? ociError(429, 'TOOMANYREQUESTS', { 'Retry-After': '2' }) : { status: 200 },
    );
    const { p, sleeps, throttles } = policy(5);
    const res = withRetry(http, p).request('GET', 'http://r/v2/', null, { tags: { step: 'ping' } });
    expect(res.status).toBe(200);
    expect(http.log).toHaveLength(2);
    expect(sleeps).toEqual([2]);
    expect(throttles).toEqual([[429, 'ping']]);
  });

  it('backs off exponentially without Retry-After, capped, and gives up after maxRetries', () => {
    const http = fakeHttp(() => ociError(429, 'TOOMANYREQUESTS'));
    const { p, sleeps, throttles } = policy(3);
    const res = withRetry(http, { ...p, baseS: 4, maxS: 10 }).request('GET', 'http://r/x', null);
    expect(res.status).toBe(429);
    expect(http.log).toHaveLength(4);
    expect(sleeps).toEqual([4, 8, 10]);
    // every throttling answer counted, the last one too
    expect(throttles).toHaveLength(4);
  });

  it('passes other failures through untouched', () => {
    const http = fakeHttp(() => ociError(404, 'MANIFEST_UNKNOWN'));
    const { p, sleeps } = policy(5);
    expect(withRetry(http, p).request('GET', 'http://r/x', null).status).toBe(404);
    expect(http.log).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('counts a storage 503 ServerBusy as throttling but a region-down 503 UNAVAILABLE not', () => {
    const busy = fakeHttp(() => ({ status: 503, headers: { 'X-Ms-Error-Code': 'ServerBusy' } }));
    const a = policy(1);
    withRetry(busy, a.p).request('GET', 'http://s/blob', null, { tags: { step: 'blob-data' } });
    expect(a.throttles).toEqual([
      [503, 'blob-data'],
      [503, 'blob-data'],
    ]);
    const down = fakeHttp(() => ociError(503, 'UNAVAILABLE'));
    const b = policy(1);
    const res = withRetry(down, b.p).request('GET', 'http://r/v2/', null, { tags: { step: 'ping' } });
    // still retried (a region may come back), but no throttle event: an error by its code
    expect(down.log).toHaveLength(2);
    expect(res.status).toBe(503);
    expect(b.throttles).toEqual([]);
  });

  it('in a batch resends only the throttled requests, once per round, waiting the longest back-off', () => {
    const seen = new Map<string, number>();
    const http = fakeHttp((r): Answer => {
      const n = (seen.get(r.url) ?? 0) + 1;
      seen.set(r.url, n);
      if (r.url.endsWith('/a') && n === 1) return { status: 429, headers: { 'Retry-After': '1' } };
      if (r.url.endsWith('/b') && n <= 2)
        return { status: 503, headers: { 'X-Ms-Error-Code': 'ServerBusy' } };
      return { status: 200 };
    });
    const { p, sleeps, throttles } = policy(5);
    const out = withRetry(http, p).batch(
      ['a', 'b', 'c'].map((k) => ({ method: 'GET', url: `http://r/${k}` })),
    );
    expect(out.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(http.log.map((r) => `${r.batch}:${r.url.slice(-1)}`)).toEqual([
      '0:a',
      '0:b',
      '0:c',
      '1:a',
      '1:b',
      '2:b',
    ]);
    expect(sleeps).toEqual([1, 0.5]);
    expect(throttles).toHaveLength(3);
  });
});
