/**
 * Pushes through a flapping name (lib/k6/vu/push-bounce.ts) against a recording fake of the
 * http interface that plays two replicas: each keeps its own upload sessions and blobs (as
 * the lab's registries and ACR's replicas do), and the global name answers replica
 * floor(t / interval) mod 2 on a clock that ticks once per request.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { imageManifest } from '../../../lib/k6/vu/push';
import { pinned, pushAttempt, resolveOnce } from '../../../lib/k6/vu/push-bounce';
import { type Answer, bytes, fakeHttp, ociError, type Recorded } from './fake-http';

const HOST = 'reg.example.test:8080';
const BASE = `http://${HOST}`;
const IPS = ['127.0.0.1', '127.0.0.2'];
const sha = (b: ArrayBuffer | string) =>
  createHash('sha256')
    .update(typeof b === 'string' ? b : Buffer.from(b))
    .digest('hex');
const blob = (s: string) => {
  const data = bytes(s);
  return { data, digest: `sha256:${sha(data)}` };
};

interface Replica {
  sessions: Set<string>;
  blobs: Set<string>;
}

/** Two replicas behind a name that flaps every `interval` ticks (first tick: `offset`). */
function flapping(interval: number, offset = 0) {
  const replicas: Replica[] = IPS.map(() => ({ sessions: new Set(), blobs: new Set() }));
  let tick = offset;
  let uploads = 0;
  const http = fakeHttp((r: Recorded): Answer => {
    const t = tick++;
    const host = /^https?:\/\/([^/]+)/.exec(r.url)?.[1] ?? '';
    const ipHost = IPS.findIndex((ip) => host.startsWith(ip));
    const at = ipHost >= 0 ? ipHost : Math.floor(t / interval) % 2;
    const rep = replicas[at] as Replica;
    const ans = (a: Answer): Answer => ({ ...a, remote_ip: IPS[at] }) as Answer;
    const path = r.url.replace(/^https?:\/\/[^/]+/, '');
    if (path === '/v2/') return ans({ status: 200 });
    if (r.method === 'POST') {
      const id = `u${uploads++}`;
      rep.sessions.add(id);
      return ans({ status: 202, headers: { Location: `/v2/app/blobs/uploads/${id}?_state=x` } });
    }
    const upload = /\/blobs\/uploads\/(u\d+)\?.*digest=([^&]+)/.exec(path);
    if (r.method === 'PUT' && upload) {
      if (!rep.sessions.has(upload[1] as string)) return ans(ociError(404, 'BLOB_UPLOAD_UNKNOWN'));
      rep.blobs.add(decodeURIComponent(upload[2] as string));
      return ans({ status: 201 });
    }
    if (r.method === 'PUT' && path.includes('/manifests/')) {
      const m = JSON.parse(String(r.body)) as {
        config: { digest: string };
        layers: Array<{ digest: string }>;
      };
      for (const d of [m.config.digest, ...m.layers.map((l) => l.digest)])
        if (!rep.blobs.has(d)) return ans(ociError(400, 'MANIFEST_BLOB_UNKNOWN'));
      return ans({ status: 201, headers: { 'Docker-Content-Digest': `sha256:${sha(String(r.body))}` } });
    }
    return ans(ociError(400, 'UNSUPPORTED'));
  });
  return { http, replicas, now: () => tick };
}

const spec = (layers = 2) => ({
  base: BASE,
  repo: 'app',
  tag: 't1',
  config: blob('{"nonce":1}'),
  layers: Array.from({ length: layers }, (_, i) => blob(`layer-${i}`)),
  creds: { kind: 'anonymous' as const },
  sha256hex: (s: string) => sha(s),
});

describe('pushAttempt through a flapping name', () => {
  it('one replica throughout: succeeds, not scattered; its span is first to last push sub-request', () => {
    const f = flapping(1000);
    const a = pushAttempt(f.http, spec(2), f.now);
    expect(a).toMatchObject({ ok: true, scattered: false, replicas: [IPS[0]] });
    // ping, then POST/PUT for config and 2 layers, then the manifest: ticks 1..7
    expect(a.spanMs).toBe(6);
    expect(a.subRequests.map((s) => s.step)).toEqual([
      'ping',
      'upload-start',
      'upload',
      'upload-start',
      'upload',
      'upload-start',
      'upload',
      'manifest-put',
    ]);
  });

  it('the name flips between an upload POST and its PUT: BLOB_UPLOAD_UNKNOWN, scattered, not ok', () => {
    // ticks 0 ping, 1 POST (replica 0), 2 PUT (replica 1)
    const f = flapping(2);
    const a = pushAttempt(f.http, spec(2), f.now);
    expect(a).toMatchObject({ ok: false, code: 'BLOB_UPLOAD_UNKNOWN', scattered: true });
    expect(a.replicas.sort()).toEqual(IPS);
    // stopped at the first error: no manifest was sent
    expect(f.http.log.some((r) => r.url.includes('/manifests/'))).toBe(false);
  });

  it('the name flips just before the manifest: MANIFEST_BLOB_UNKNOWN, and the push is not a success', () => {
    // ticks 0..6 on replica 0 (ping + 3 blobs), tick 7 (manifest) on replica 1
    const f = flapping(7);
    const a = pushAttempt(f.http, spec(2), f.now);
    expect(a).toMatchObject({ ok: false, code: 'MANIFEST_BLOB_UNKNOWN', scattered: true });
    expect(f.replicas[0]?.blobs.size).toBe(3);
  });

  it('pinned to the address resolved once: every request to it, with the name in Host, even across flips', () => {
    const f = flapping(2, 1); // the name answers replica 0 at tick 1 only
    const address = resolveOnce(f.http, BASE);
    expect(address).toBe(IPS[0]);
    const a = pushAttempt(pinned(f.http, BASE, address), spec(3), f.now);
    expect(a).toMatchObject({ ok: true, scattered: false, replicas: [IPS[0]] });
    const after = f.http.log.slice(1);
    expect(after.every((r) => r.url.startsWith(`http://${IPS[0]}:8080/`))).toBe(true);
    expect(after.every((r) => r.params.headers?.Host === HOST)).toBe(true);
  });

  it('a manifest answered with another digest than the one pushed is a failure (DIGEST_INVALID)', () => {
    const http = fakeHttp(
      (r): Answer =>
        r.method === 'POST'
          ? { status: 202, headers: { Location: '/v2/app/blobs/uploads/u?_state=x' } }
          : r.url.includes('/manifests/')
            ? { status: 201, headers: { 'Docker-Content-Digest': `sha256:${'0'.repeat(64)}` } }
            : { status: r.url.endsWith('/v2/') ? 200 : 201 },
    );
    const a = pushAttempt(http, spec(1), () => 0);
    expect(a).toMatchObject({ ok: false, code: 'DIGEST_INVALID' });
  });
});

describe('pinned', () => {
  it('leaves other origins alone and keeps a path boundary (host:80800 is not host:8080)', () => {
    const http = fakeHttp(() => ({ status: 200 }));
    const p = pinned(http, BASE, '10.0.0.9');
    p.request('GET', 'http://other.test/v2/', null);
    p.request('GET', `${BASE}0/v2/`, null);
    p.request('GET', `${BASE}/v2/x?y=1`, null, { headers: { a: 'b' } });
    expect(http.log.map((r) => r.url)).toEqual([
      'http://other.test/v2/',
      `${BASE}0/v2/`,
      'http://10.0.0.9:8080/v2/x?y=1',
    ]);
    expect(http.log[2]?.params.headers).toEqual({ a: 'b', Host: HOST });
  });
});

describe('imageManifest', () => {
  it('an OCI image manifest whose sizes are the blobs’ byte lengths', () => {
    const m = JSON.parse(imageManifest(blob('cfg'), [blob('abcd')]));
    expect(m.config.size).toBe(3);
    expect(m.layers[0].size).toBe(4);
    expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  });
});
