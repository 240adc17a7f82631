import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobUrlPath, placement } from '../../lib/lab/storage';
import { randomLayer } from '../../lib/oci/digest';
import { type PushedImage, pushImage } from '../../lib/oci/push';
import { type RegionFixture, startRegionFixture } from './helpers/region-fixture';

const sha = (b: ArrayBuffer) => `sha256:${createHash('sha256').update(Buffer.from(b)).digest('hex')}`;

describe('storage backends: signed URLs, copies, faults', () => {
  let lab: RegionFixture;
  let img: PushedImage;
  let token: string;
  const layer = randomLayer(256 * 1024);
  beforeAll(async () => {
    lab = await startRegionFixture({
      slot: 2,
      tree: {
        registry: { adminPassword: 'pw' },
        storage: { backends: 4, copies: 1, selection: 'round-robin' },
      },
    });
    img = await pushImage(lab.base(lab.host.global()), 'app', 'v1', [layer], lab.authFetch({ admin: true }));
    token = await lab.token(lab.host.global(), 'repository:app:pull', { roles: ['AcrPull'] });
  });
  afterAll(() => lab?.stop());

  const digest = () => img.layers[0]!.digest;
  const redirect = async (host = lab.host.global()) => {
    const r = await lab.fetch(`${lab.base(host)}/v2/app/blobs/${digest()}`, {
      headers: { authorization: `Bearer ${token}` },
      redirect: 'manual',
    });
    await r.arrayBuffer();
    return r;
  };
  const backends = () => lab.backends.eastus!;

  it('307s a blob GET to a signed URL on a backend holding a copy, which serves the bytes', async () => {
    const r = await redirect();
    expect(r.status).toBe(307);
    const loc = new URL(r.headers.get('location')!);
    const holder = placement(digest(), lab.topology.regions[0]!.backends, 1)[0]!;
    expect(loc.hostname).toBe(holder.host);
    expect(loc.pathname).toBe(blobUrlPath(digest()));
    expect([...loc.searchParams.keys()].sort()).toEqual(['se', 'sig', 'sp', 'sr', 'sv']);
    const got = await lab.fetch(loc.toString());
    expect(got.status).toBe(200);
    expect(got.headers.get('content-length')).toBe(String(layer.length));
    expect(sha(await got.arrayBuffer())).toBe(digest());
    // fetch following the redirect end to end, and the token did not cross to the backend
    const followed = await lab.fetch(`${lab.base(lab.host.data('eastus'))}/v2/app/blobs/${digest()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(followed.status).toBe(200);
    expect(sha(await followed.arrayBuffer())).toBe(digest());
  });

  it('refuses unsigned, tampered, expired, re-hosted URLs and any Authorization header with 403', async () => {
    const loc = new URL((await redirect()).headers.get('location')!);
    const expectAuthFailed = async (url: string, init?: RequestInit, code = 'AuthenticationFailed') => {
      const r = await lab.fetch(url, init);
      expect(r.status, url).toBe(403);
      expect(r.headers.get('x-ms-error-code')).toBe(code);
      const body = await r.text();
      expect(body).toContain(`<Error><Code>${code}</Code>`);
    };
    await expectAuthFailed(`${loc.origin}${loc.pathname}`);
    const tampered = new URL(loc);
    const sig = tampered.searchParams.get('sig')!;
    tampered.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    await expectAuthFailed(tampered.toString());
    const extended = new URL(loc);
    extended.searchParams.set('se', '2099-01-01T00:00:00Z');
    await expectAuthFailed(extended.toString());
    const otherPath = new URL(loc);
    otherPath.pathname = blobUrlPath(img.config.digest);
    await expectAuthFailed(otherPath.toString());
    const holder = lab.topology.regions[0]!.backends.find((b) => b.host === loc.hostname)!;
    const other = lab.topology.regions[0]!.backends.find((b) => b.id !== holder.id)!;
    await expectAuthFailed(`http://${other.host}:${other.port}${loc.pathname}${loc.search}`);
    const expired = lab.signer.sign('GET', holder.host, loc.pathname, 60, Date.now() - 3600_000);
    await expectAuthFailed(`${loc.origin}${loc.pathname}?${expired}`);
    await expectAuthFailed(loc.toString(), { headers: { authorization: `Bearer ${token}` } });
    // still valid when untouched
    expect((await lab.fetch(loc.toString())).status).toBe(200);
  });

  it('serves byte ranges like Azure Blob', async () => {
    const loc = (await redirect()).headers.get('location')!;
    const r = await lab.fetch(loc, { headers: { range: 'bytes=100-199' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes 100-199/${layer.length}`);
    expect(Buffer.from(await r.arrayBuffer()).equals(layer.subarray(100, 200))).toBe(true);
    const tail = await lab.fetch(loc, { headers: { range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(layer.subarray(layer.length - 10))).toBe(true);
    const bad = await lab.fetch(loc, { headers: { range: `bytes=${layer.length}-` } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('x-ms-error-code')).toBe('InvalidRange');
  });

  it('a reader that disconnects mid-blob does not cut off the other readers of that blob', async () => {
    // Both readers share the backend's one descriptor for the blob (FdCache). A ReadStream
    // destroyed by the disconnect used to close it, so the other stream read EBADF, and the
    // cache's later close hit a reused descriptor: a killed k6 process crashed the lab.
    const big = randomLayer(8 * 1024 * 1024);
    const pushed = await pushImage(
      lab.base(lab.host.global()),
      'app',
      'big',
      [big],
      lab.authFetch({ admin: true }),
    );
    const d = pushed.layers[0]!.digest;
    const r = await lab.fetch(`${lab.base(lab.host.global())}/v2/app/blobs/${d}`, {
      headers: { authorization: `Bearer ${token}` },
      redirect: 'manual',
    });
    await r.arrayBuffer();
    const loc = r.headers.get('location')!;
    const open = async () => {
      const res = await lab.fetch(loc);
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const first = await reader.read();
      return { reader, first: first.value! };
    };
    const keep = await open();
    const quit = await open();
    await quit.reader.cancel();
    await new Promise((res) => setTimeout(res, 300));
    const chunks = [Buffer.from(keep.first)];
    for (let c = await keep.reader.read(); !c.done; c = await keep.reader.read())
      chunks.push(Buffer.from(c.value));
    const body = Buffer.concat(chunks);
    expect(body.length).toBe(big.length);
    expect(sha(body.buffer.slice(body.byteOffset, body.byteOffset + body.length) as ArrayBuffer)).toBe(d);
    // The backend still serves that blob afterwards, from a fresh descriptor.
    const again = await lab.fetch(loc);
    expect(sha(await again.arrayBuffer())).toBe(d);
  });

  it('a backend without a copy answers 404 BlobNotFound', async () => {
    const holder = placement(digest(), lab.topology.regions[0]!.backends, 1)[0]!;
    const other = lab.topology.regions[0]!.backends.find((b) => b.id !== holder.id)!;
    const path = blobUrlPath(digest());
    const r = await lab.fetch(
      `http://${other.host}:${other.port}${path}?${lab.signer.sign('GET', other.host, path, 60)}`,
    );
    expect(r.status).toBe(404);
    expect(r.headers.get('x-ms-error-code')).toBe('BlobNotFound');
  });

  it('changing the copy count at runtime changes which backends blob GETs are redirected to', async () => {
    const targets = async (n: number) => {
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) seen.add(new URL((await redirect()).headers.get('location')!).hostname);
      return seen;
    };
    const all = lab.topology.regions[0]!.backends;
    try {
      lab.state.storage.copies = 1;
      const one = await targets(8);
      expect(one.size).toBe(1);
      lab.state.storage.copies = 2;
      const two = await targets(8); // round-robin over the two holders
      expect(two.size).toBe(2);
      expect([...one].every((h) => two.has(h))).toBe(true); // rendezvous: raising C keeps existing copies
      lab.state.storage.copies = 4;
      const four = await targets(8);
      expect(four).toEqual(new Set(all.map((b) => b.host)));
      // every holder really serves the bytes
      for (const host of four) {
        const b = all.find((x) => x.host === host)!;
        const path = blobUrlPath(digest());
        const r = await lab.fetch(
          `http://${b.host}:${b.port}${path}?${lab.signer.sign('GET', b.host, path, 60)}`,
        );
        expect(sha(await r.arrayBuffer())).toBe(digest());
      }
    } finally {
      lab.state.storage.copies = 1;
    }
  });

  it('storage-fail: listed backends answer 500, the front redirects to another copy or 503s; cleared, all is back', async () => {
    const holders = placement(digest(), lab.topology.regions[0]!.backends, 2);
    const [first, second] = holders as [(typeof holders)[0], (typeof holders)[0]];
    lab.state.storage.copies = 2;
    lab.state.faults.set('f1', {
      id: 'f1',
      kind: 'storage-fail',
      region: 'eastus',
      backends: [first.index],
      params: {},
      since: Date.now(),
    });
    try {
      const direct = `http://${first.host}:${first.port}${blobUrlPath(digest())}?${lab.signer.sign('GET', first.host, blobUrlPath(digest()), 60)}`;
      const r = await lab.fetch(direct);
      expect(r.status).toBe(500);
      expect(r.headers.get('x-ms-error-code')).toBe('InternalError');
      expect(
        backends()
          .find((b) => b.addr.id === first.id)!
          .healthy(),
      ).toBe(false);
      for (let i = 0; i < 4; i++)
        expect(new URL((await redirect()).headers.get('location')!).hostname).toBe(second.host);
      lab.state.storage.copies = 1;
      const none = await redirect();
      expect(none.status).toBe(503);
      lab.state.faults.delete('f1');
      expect((await lab.fetch(direct)).status).toBe(200);
      expect((await redirect()).status).toBe(307);
    } finally {
      lab.state.faults.delete('f1');
      lab.state.storage.copies = 1;
    }
  });

  it('storage-slow: adds latency and lowers the ceiling of listed backends only; cleared, back to normal', async () => {
    const holder = placement(digest(), lab.topology.regions[0]!.backends, 1)[0]!;
    const handle = backends().find((b) => b.addr.id === holder.id)!;
    const path = blobUrlPath(digest());
    const url = () =>
      `http://${holder.host}:${holder.port}${path}?${lab.signer.sign('GET', holder.host, path, 60)}`;
    lab.state.faults.set('s1', {
      id: 's1',
      kind: 'storage-slow',
      region: 'eastus',
      backends: [holder.index],
      params: { latencyMs: 300, ceilingBps: 1_000_000 },
      since: Date.now(),
    });
    try {
      expect(handle.stats().ceilingBps).toBe(1_000_000);
      expect(
        backends()
          .find((b) => b.addr.id !== holder.id)!
          .stats().ceilingBps,
      ).toBe(0);
      const t0 = performance.now();
      const r = await lab.fetch(url());
      const body = await r.arrayBuffer();
      const s = (performance.now() - t0) / 1000;
      expect(sha(body)).toBe(digest());
      // 300 ms latency + 256 KiB at 1 MB/s, minus the first chunk and a 64 KiB burst ≈ 0.43 s
      expect(s).toBeGreaterThan(0.4);
      lab.state.faults.delete('s1');
      expect(handle.stats().ceilingBps).toBe(0);
      const t1 = performance.now();
      await (await lab.fetch(url())).arrayBuffer();
      expect((performance.now() - t1) / 1000).toBeLessThan(0.25);
      const st = handle.stats();
      expect(st.requests).toBeGreaterThan(2);
      expect(st.bytes).toBeGreaterThan(2 * layer.length);
      // Backends report their health once a second: a storage-fail cleared by the test before
      // may still stand in the last report for up to a second (bounded wait, then as before).
      await expect
        .poll(() => lab.state.components.get(`storage:${holder.id}`)?.ok, { timeout: 3000, interval: 50 })
        .toBe(true);
    } finally {
      lab.state.faults.delete('s1');
    }
  });
});
