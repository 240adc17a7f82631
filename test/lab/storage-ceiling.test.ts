import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobUrlPath, placement } from '../../lib/lab/storage';
import { randomLayer } from '../../lib/oci/digest';
import { pushImage } from '../../lib/oci/push';
import { curlGet, type RegionFixture, startRegionFixture } from './helpers/region-fixture';

const CEILING = 20_000_000; // 20 MB/s
const FLOOR = 2_000_000; // => at most 10 concurrent streams per backend
const SIZE = 6 * 1024 * 1024;

describe('egress ceiling and ServerBusy throttling', () => {
  let lab: RegionFixture;
  let url: () => string;
  let backendId: string;
  let digest: string;
  let resolve: Record<string, string>;
  beforeAll(async () => {
    lab = await startRegionFixture({
      slot: 3,
      tree: {
        registry: { adminPassword: 'pw' },
        storage: { backends: 2, copies: 1, ceilingBps: CEILING, minStreamBps: FLOOR },
      },
    });
    const img = await pushImage(
      lab.base(lab.host.global()),
      'big',
      'v1',
      [randomLayer(SIZE)],
      lab.authFetch({ admin: true }),
    );
    digest = img.layers[0]!.digest;
    const b = placement(digest, lab.topology.regions[0]!.backends, 1)[0]!;
    backendId = b.id;
    resolve = { [b.host]: b.ip };
    const path = blobUrlPath(digest);
    url = () => `http://${b.host}:${b.port}${path}?${lab.signer.sign('GET', b.host, path, 120)}`;
  });
  afterAll(() => lab?.stop());

  const handle = () => lab.backends.eastus!.find((b) => b.addr.id === backendId)!;

  /** n concurrent curl downloads of the blob; aggregate bytes/s over the wall time. */
  // The window is measured by the clients themselves (curl's own clock from its start to
  // its last byte), so process spawn time on a loaded machine doesn't count as slowness.
  const burst = async (n: number) => {
    const res = await Promise.all(
      Array.from({ length: n }, async () => {
        const r = await curlGet(url(), { resolve });
        return { ...r, end: performance.now() };
      }),
    );
    expect(res.map((r) => r.status)).toEqual(res.map(() => 200));
    expect(res.every((r) => r.bytes === SIZE)).toBe(true);
    const start = Math.min(...res.map((r) => r.end - r.seconds * 1000));
    const end = Math.max(...res.map((r) => r.end));
    return (n * SIZE) / ((end - start) / 1000);
  };

  // The exact rate is the byte bucket's logic, checked on a fake clock
  // (test/lab-logic/byte-bucket.test.ts); the measured rate through real sockets is a
  // figure in bench/lab-timing.ts. Here, with bounds a loaded machine cannot break: every
  // byte arrives and the ceiling is never exceeded by much. The backend's own 1 s peak (bytes
  // the bucket granted) stays within rate + 50 ms burst + one chunk (1.05x here) however the
  // machine stalls; what curl measures also includes socket buffering, hence 1.5x there.
  it('a saturated backend delivers every byte and no more than its ceiling', async () => {
    const t0 = Date.now();
    const rate = await burst(8);
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThan(CEILING * 1.5);
    const st = handle().stats();
    expect(st.peakEgressBps).toBeGreaterThan(0);
    expect(st.peakEgressBps).toBeLessThan(CEILING * 1.1);
    expect(st.throttled).toBe(0);
    // A run asks for the peak since its own start: the burst's since before it, none after.
    const end = Date.now();
    expect(handle().stats(t0).peakEgressBps).toBeGreaterThan(0);
    expect(handle().stats(t0).peakEgressBps).toBeLessThanOrEqual(st.peakEgressBps);
    await new Promise((r) => setTimeout(r, 2100));
    // The 100 ms slot a start falls in counts whole (a short run may live inside one), so
    // "after the burst" starts a slot after its end.
    expect(handle().stats(end + 100).peakEgressBps).toBe(0);
    expect(handle().stats().peakEgressBps).toBe(st.peakEgressBps);
  });

  it('beyond the ceiling new requests get 503 ServerBusy (ceiling / (active+1) < floor)', async () => {
    const before = handle().stats().throttled;
    const max = CEILING / FLOOR; // 10 streams
    const open = await Promise.all(Array.from({ length: max }, () => lab.fetch(url())));
    expect(open.every((r) => r.status === 200)).toBe(true);
    expect(handle().stats().active).toBe(max);
    const extra = await lab.fetch(url());
    expect(extra.status).toBe(503);
    expect(extra.headers.get('x-ms-error-code')).toBe('ServerBusy');
    expect(extra.headers.get('retry-after')).toBe('1');
    expect(await extra.text()).toContain('<Code>ServerBusy</Code>');
    // through the front as well: the 307 is followed into the busy backend
    const token = await lab.token(lab.host.global(), 'repository:big:pull', { roles: ['AcrPull'] });
    const viaFront = await lab.fetch(`${lab.base(lab.host.global())}/v2/big/blobs/${digest}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(viaFront.status).toBe(503);
    await viaFront.arrayBuffer();
    expect(handle().stats().throttled).toBe(before + 2);
    await Promise.all(open.map((r) => r.arrayBuffer()));
    // demand back under the ceiling: admitted again
    const after = await lab.fetch(url());
    expect(after.status).toBe(200);
    await after.arrayBuffer();
  });

  it('the ceiling changes at runtime without a restart', async () => {
    // 6 MB/s, high enough that three streams are not refused (6 MB/s / 3 = FLOOR). Under
    // 1.5x of it is under half the old 20 MB/s ceiling: the change applied. (The rate
    // itself: bench/lab-timing.ts.)
    const lowered = 3 * FLOOR;
    lab.state.storage.ceilingBps = lowered;
    try {
      const rate = await burst(3);
      expect(rate).toBeGreaterThan(0);
      expect(rate).toBeLessThan(lowered * 1.5);
    } finally {
      lab.state.storage.ceilingBps = CEILING;
    }
  });
});
