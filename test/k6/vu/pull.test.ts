/**
 * A whole cold pull against a recording fake: token with the repository's pull scope, the
 * manifest, blobs `parallel` at a time through the 307, metrics under the names collect.ts
 * reads; a region that is down is an error by its code, not throttling (issue 12 item 12).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pullImage } from '../../../lib/k6/vu/pull';
import { pullRecorder } from '../../../lib/k6/vu/pull-metrics';
import { withRetry } from '../../../lib/k6/vu/retry';
import { bytes, fakeHttp, json, ociError, type Recorded } from './fake-http';

const BASE = 'http://reg.test';
const blobs = ['config', 'layer-1', 'layer-2', 'layer-3'].map((s) => {
  const data = bytes(s);
  return {
    data,
    digest: `sha256:${createHash('sha256').update(Buffer.from(data)).digest('hex')}`,
    size: data.byteLength,
  };
});
const manifest = {
  schemaVersion: 2,
  config: { mediaType: 'c', digest: blobs[0]?.digest, size: blobs[0]?.size },
  layers: blobs.slice(1).map((b) => ({ mediaType: 'l', digest: b.digest, size: b.size })),
};
const sha = (b: ArrayBuffer) => createHash('sha256').update(Buffer.from(b)).digest('hex');

/** Registry + storage; `storage` may answer first (e.g. a 503) before the default. */
function registry(storage?: (r: Recorded) => ReturnType<typeof json> | undefined) {
  return fakeHttp((r) => {
    if (r.url.endsWith('/v2/'))
      return {
        status: 401,
        headers: { 'Www-Authenticate': `Bearer realm="${BASE}/oauth2/token",service="reg.test"` },
      };
    if (r.url.startsWith(`${BASE}/oauth2/token`)) return json(200, { access_token: 'tok' });
    if (r.url.includes('/manifests/')) return json(200, manifest);
    const b = blobs.find((x) => r.url.includes(x.digest));
    if (r.url.startsWith(`${BASE}/v2/`))
      return { status: 307, headers: { Location: `http://store/${b?.digest}?sig=S` } };
    return storage?.(r) ?? { status: 200, body: b?.data };
  });
}

/** k6's metric classes, recording (name, value, tags). */
function metrics() {
  const points: Array<[string, number, Record<string, string> | undefined]> = [];
  class M {
    constructor(readonly name: string) {}
    add(v: number, tags?: Record<string, string>) {
      points.push([this.name, v, tags]);
    }
  }
  return { points, classes: { Counter: M, Trend: M } };
}

describe('pullImage', () => {
  it('token for repository:<repo>:pull, manifest, blobs 3 at a time via the 307, all recorded', () => {
    const http = registry();
    const m = metrics();
    const rec = pullRecorder(m.classes);
    const n = pullImage(
      http,
      {
        base: BASE,
        image: 'team/app:v1',
        parallel: 3,
        creds: { kind: 'refresh', refreshToken: 'r' },
        sha256hex: sha,
      },
      rec.hooks,
    );
    expect(n).toBe(blobs.reduce((a, b) => a + b.size, 0));
    const scope = new URLSearchParams(String(http.log[1]?.body)).get('scope');
    expect(scope).toBe('repository:team/app:pull');
    expect(http.log.filter((r) => r.batch >= 0).map((r) => r.batch)).toEqual([0, 0, 0, 1, 1, 1, 2, 3]);
    for (const r of http.log.filter((x) => x.url.startsWith('http://store')))
      expect(r.params.headers ?? {}).not.toHaveProperty('authorization');
    const names = m.points.map((p) => p[0]);
    expect(names.filter((x) => x === 'blob_redirects')).toHaveLength(4);
    expect(names.filter((x) => x === 'token_requests')).toHaveLength(1);
    expect(m.points.filter((p) => p[0] === 'layer_duration').map((p) => p[2]?.kind)).toEqual([
      'config',
      'layer',
      'layer',
      'layer',
    ]);
    // Each blob's duration carries its size: the report's throughput per layer size.
    expect(m.points.filter((p) => p[0] === 'layer_duration').map((p) => Number(p[2]?.size))).toEqual(
      blobs.map((b) => b.size),
    );
  });

  it('throttled storage is retried and counted; a region down is an error by code, not throttling', () => {
    let busy = 0;
    const throttledHttp = registry(() =>
      busy++ < 1 ? { status: 503, body: '', headers: { 'X-Ms-Error-Code': 'ServerBusy' } } : undefined,
    );
    const m = metrics();
    const rec = pullRecorder(m.classes);
    const retry = (h: typeof throttledHttp) =>
      withRetry(h, { maxRetries: 2, sleep: () => {}, random: () => 0.5, onThrottle: rec.throttled });
    const settings = { base: BASE, image: 'app:v1', parallel: 3, creds: { kind: 'anonymous' as const } };
    pullImage(retry(throttledHttp), settings, rec.hooks);
    expect(m.points.filter((p) => p[0] === 'throttled')).toEqual([
      ['throttled', 1, { code: '503', what: 'blob-data' }],
    ]);

    const down = fakeHttp(() => ociError(503, 'UNAVAILABLE'));
    const m2 = metrics();
    const rec2 = pullRecorder(m2.classes);
    let code = '';
    try {
      pullImage(
        withRetry(down, { maxRetries: 2, sleep: () => {}, random: () => 0.5, onThrottle: rec2.throttled }),
        settings,
      );
    } catch (e) {
      code = (e as { code: string }).code;
      rec2.failed(code);
    }
    expect(code).toBe('UNAVAILABLE');
    expect(m2.points.filter((p) => p[0] === 'throttled')).toEqual([]);
    expect(m2.points).toContainEqual(['errors', 1, { code: 'UNAVAILABLE' }]);
  });
});
