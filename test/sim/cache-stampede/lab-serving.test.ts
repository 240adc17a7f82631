/**
 * The lab machine's serving in sim cache-stampede (lab-serving.ts), against its closed forms:
 * with zero service time the protocol-only simulation is recovered exactly; one node alone
 * pulls in the protocol's time plus the sum of its requests' service times, each at the lab
 * process that serves it; a saturated hydrated burst keeps its bottleneck busy, so its last
 * pull ends at N x (that process's requests per pull x cost) / its servers. The structure:
 * the token flow queues at the front only, not behind the registry's work; the hydrator's
 * writes wait for no front pool; the wave gate's polls queue at the run's own process.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import { REGISTRY_POOL } from '../../../sim/models/cache-stampede/lab-serving';
import { type CacheStampedeParams, cacheStampedeSchema } from '../../../sim/models/cache-stampede/params';
import { type RunResult, simulateCacheStampede } from '../../../sim/models/cache-stampede/simulate';

const params = (sets: string[]): CacheStampedeParams => resolve(cacheStampedeSchema, [], sets);
const sim = (sets: string[], seed = 1): RunResult => {
  const p = params(sets);
  return simulateCacheStampede(
    p,
    { coalescing: p.cache.coalescing, breaker: p.breaker.enabled, prewarm: false },
    seed,
  );
};
const times = (r: RunResult) => r.pulls.map((x) => x.pullS);
const counts = (r: RunResult) => ({
  requests: r.upstream.requests,
  throttled: r.upstream.throttled,
  errors: r.errorsByCode,
  ok: r.pulls.filter((x) => x.ok).length,
  hydratedAtS: r.hydratedAtS,
});
/** The lab twin's shape: three blobs, the limit counting manifest GETs (lib/k6/cache-stampede/model.ts). */
const LAB_LIKE = [
  'image.layers=600,1048576,2097152',
  'image.manifestBytes=900',
  'upstream.latencyMs=0',
  'upstream.bps=0',
  'upstream.rateLimit.counts=manifest-get',
  'upstream.rateLimit.burst=10',
  'upstream.rateLimit.perMin=6',
  'upstream.rateLimit.retryAfterS=5',
  'cache.dispatchS=0',
  'client.retryBaseS=0.25',
  'client.retryCapS=8',
  'client.maxAttempts=3',
];

describe('zero service time recovers the protocol-only simulation', () => {
  const cases: Array<[string, string[]]> = [
    ['per-front, 200 nodes', ['nodes=200', 'cache.coalescing=per-front']],
    ['off, 40 nodes, throttled, with retries', ['nodes=40', 'cache.coalescing=off']],
    ['per-front with breaker, 100 nodes over 5 s', ['nodes=100', 'arrivalSpreadS=5', 'breaker.enabled=true']],
    ['hydrated by digest, 50 nodes', ['nodes=50', 'image.hydrated=true', 'image.reference=digest']],
  ];
  // The import is dispatched 1 ms after its manifest: with dispatchS=0 it reaches the first
  // blob fetch at the same instant as the node that served that manifest, and which of the two
  // leads (and which joins, at cache.streamBps) is then the order of zero-time events, which
  // the zero-cost requests shift.
  for (const [name, sets] of cases)
    it(name, () => {
      const base = [...LAB_LIKE, 'cache.dispatchS=0.001', ...sets];
      const off = sim(base);
      const zero = sim([
        ...base,
        'lab.enabled=true',
        'lab.requestS=0',
        'lab.storageS=0',
        'lab.registryS=0',
        'lab.bps=0',
        'lab.pollers=7',
      ]);
      expect(off.lab).toBeNull();
      expect(zero.lab?.requests).toBeGreaterThan(0);
      expect(zero.lab?.busyS).toBe(0);
      expect(times(zero)).toEqual(times(off));
      const { hydratedAtS: h0, ...c0 } = counts(off);
      const { hydratedAtS: h1, ...c1 } = counts(zero);
      expect(c1).toEqual(c0);
      // With lab serving the image is hydrated by the import's writes (lib/lab/cache/hydrator.ts),
      // not by the serving path's write-through: no earlier than the old twin's, and no later
      // than its import's dispatch (1 ms) after it.
      if (h0 === null) expect(h1).toBeNull();
      else {
        expect(h1 as number).toBeGreaterThanOrEqual(h0 - 1e-12);
        expect(h1 as number).toBeLessThanOrEqual(h0 + 0.001 + 1e-9);
      }
    });
});

// One node's image and known costs: LAB_LIKE's blobs and manifest; the front 1 ms a request,
// a storage hop 3 ms, the registry 4 ms, k6 receiving 50 MB/s.
const blobs = [600, 1048576, 2097152];
const b = blobs.length;
const manifest = 900;
const bytes = manifest + blobs.reduce((a, x) => a + x, 0);
const f = 0.001;
const st = 0.003;
const g = 0.004;
const bps = 50e6;
const lab = [
  'lab.enabled=true',
  `lab.requestS=${f}`,
  `lab.storageS=${st}`,
  `lab.registryS=${g}`,
  `lab.bps=${bps}`,
  'lab.servers=2',
];

describe('one node alone: the protocol time plus the sum of its requests, each at its own process', () => {
  it('hydrated, by digest: the front 3 + b, storage b, the registry 2 + 2b (a HEAD before each answer, a GET or a HEAD more)', () => {
    const base = [
      ...LAB_LIKE,
      'nodes=1',
      'image.hydrated=true',
      'image.reference=digest',
      'client.parallelLayers=1',
    ];
    const protocol = sim(base).pulls[0]?.pullS as number;
    const served = sim([...base, ...lab]);
    expect(served.lab?.supervisor.requests).toBe(3 + 2 * b);
    expect(served.lab?.registry.requests).toBe(2 + 2 * b);
    expect(served.lab?.upstreamRegistry.requests).toBe(0);
    // Alone, a registry request has a core to itself and k6 one for its bytes.
    expect(served.pulls[0]?.pullS as number).toBeCloseTo(
      protocol + (3 + b) * f + b * st + (2 + 2 * b) * g + bytes / bps,
      9,
    );
  });

  it('cold, per-front, no import yet: the front answers each object itself after one registry HEAD; each upstream request costs the upstream registry and front', () => {
    const base = [...LAB_LIKE, 'nodes=1', 'client.parallelLayers=1', 'cache.dispatchS=1000'];
    const protocol = sim(base).pulls[0]?.pullS as number;
    const served = sim([...base, ...lab]);
    // The node's HEAD per object, and the import's 4 per blob + 1 long after (at 1,000 s).
    expect(served.lab?.registry.requests).toBe(1 + b + (4 * b + 1));
    expect(served.lab?.upstreamRegistry.requests).toBe(1 + b);
    expect(served.pulls[0]?.pullS as number).toBeCloseTo(
      protocol + (3 + b) * f + (1 + b) * g + (1 + b) * (g + f) + bytes / bps,
      9,
    );
  });
});

describe("the cold wave's bytes: the front's spool until the import has written them", () => {
  it('one node, no import yet: every blob a 200 from the front carrying its bytes, no hop to storage', () => {
    const res = sim([...LAB_LIKE, 'nodes=1', 'client.parallelLayers=1', 'cache.dispatchS=1000', ...lab]);
    const steps = res.steps ?? [];
    expect(steps.filter((s) => s.step === 'blob').map((s) => s.bytes)).toEqual(blobs);
    expect(steps.filter((s) => s.step === 'blob-data')).toEqual([]);
    // The import is dispatched after the pull (at 1,000 s), so nothing was written before.
    expect(res.hydratedAtS as number).toBeGreaterThan(1000);
  });

  it("the import's writes are registry requests: per blob HEAD, HEAD, POST, PUT, then the manifest PUT", () => {
    // One node and its import: the node's registry requests (a HEAD per object, one more per
    // blob it got by 307) and the import's 4 per blob + 1; the upstream registry each object once.
    const res = sim([...LAB_LIKE, 'nodes=1', 'client.parallelLayers=1', 'cache.dispatchS=0.001', ...lab]);
    const by307 = (res.steps ?? []).filter((s) => s.step === 'blob-data').length;
    expect(res.lab?.registry.requests).toBe(1 + b + by307 + (4 * b + 1));
    expect(res.lab?.upstreamRegistry.requests).toBe(1 + b);
    expect(res.lab?.k6.busyS as number).toBeCloseTo(bytes / bps, 9);
    expect(res.hydratedAtS as number).toBeGreaterThan(0);
  });

  it('nodes arriving before the import has written the image take it from the spool, later ones from storage', () => {
    const res = sim([...LAB_LIKE, 'nodes=300', 'arrivalSpreadS=60', 'cache.dispatchS=0.001', ...lab]);
    const steps = res.steps ?? [];
    const spool = steps.filter((s) => s.step === 'blob' && s.bytes > 0).length;
    const hops = steps.filter((s) => s.step === 'blob-data').length;
    expect(spool).toBeGreaterThan(0);
    expect(hops).toBeGreaterThan(0);
    expect(spool + hops).toBe(300 * blobs.length);
    // Every spool answer came before the image was hydrated (the manifest written last).
    const h = res.hydratedAtS as number;
    const before = res.pulls.filter((x) => x.startS + (x.pullS as number) <= h).length;
    expect(before).toBeGreaterThan(0);
  });
});

const HYDRATED_BURST = [
  ...LAB_LIKE,
  'image.hydrated=true',
  'image.reference=digest',
  'cache.latencyMs=0',
  'cache.streamBps=0',
  'lab.enabled=true',
  'lab.bps=0',
];

describe('a saturated hydrated burst keeps its bottleneck busy', () => {
  for (const n of [50, 200, 500])
    it(`${n} nodes, the front alone costing: the last pull ends at N x (3 + 2b) x requestS on its one event loop`, () => {
      const r = 0.002;
      const res = sim([
        ...HYDRATED_BURST,
        `nodes=${n}`,
        `lab.requestS=${r}`,
        `lab.storageS=${r}`,
        'lab.registryS=0',
      ]);
      const last = Math.max(...(times(res) as number[]));
      expect(last).toBeCloseTo(n * (3 + 2 * b) * r, 6);
      // FIFO: the pulls end spread over the last round, not all together.
      expect(Math.min(...(times(res) as number[]))).toBeLessThan(last);
    });
  for (const [n, servers] of [
    [200, 2],
    [500, 2],
    [500, 4],
  ] as const)
    it(`${n} nodes, the registry alone costing, ${servers} cores: the last pull ends at N x (2 + 2b) x registryS / cores`, () => {
      const res = sim([
        ...HYDRATED_BURST,
        `nodes=${n}`,
        'lab.requestS=0',
        'lab.registryS=0.004',
        `lab.servers=${servers}`,
      ]);
      const last = Math.max(...(times(res) as number[]));
      // Shared by every request in it, the registry is busy on all its cores until its last
      // requests, which have a core each: within one request's time of the closed form.
      const closed = (n * (2 + 2 * b) * 0.004) / servers;
      expect(last).toBeGreaterThanOrEqual(closed - 1e-9);
      expect(last).toBeLessThanOrEqual(closed + 0.004 + 1e-9);
    });
});

describe("the lab's processes, apart", () => {
  it('the token flow queues at the front only: a slow registry does not slow it', () => {
    // 500 VUs, the front 0.2 ms a request, the registry 4 ms: the token waits for at most the
    // burst's pings and tokens at the front; the 307 for the registry's queue.
    const res = sim([...HYDRATED_BURST, 'nodes=500', 'lab.requestS=0.0002', 'lab.registryS=0.004']);
    const med = (step: string) => {
      const s = (res.steps ?? [])
        .filter((x) => x.step === step)
        .map((x) => x.s)
        .sort((a, c) => a - c);
      return s[Math.ceil(s.length / 2) - 1] as number;
    };
    expect(med('token')).toBeLessThanOrEqual(2 * 500 * 0.0002);
    expect(med('blob')).toBeGreaterThan(20 * med('token'));
  });

  it("the hydrator's writes wait for no front pool: a cold burst is hydrated long before the front's registry queue drains", () => {
    // 2,000 VUs put (1 + b) HEADs each on the registry through the front's pool (FIFO beyond
    // REGISTRY_POOL); the import's 4b + 1 writes share the registry with at most that pool.
    // The front costs nothing here, so the registry is the only queue.
    const n = 2000;
    const res = sim([
      ...LAB_LIKE,
      `nodes=${n}`,
      'cache.dispatchS=0',
      ...lab,
      'lab.requestS=0',
      'lab.storageS=0',
    ]);
    // Each of the import's requests (and the HEAD and fetch before its manifest) shares the
    // 2 cores with at most the pool's: (4b + 3) x (REGISTRY_POOL + 1) x g / 2 (7.7 s), where a
    // hydrator behind the pool's FIFO would wait for most of the drain (16 s) per request.
    const drain = (n * (1 + b) * g) / 2;
    const bound = ((4 * b + 3) * (REGISTRY_POOL + 1) * g) / 2;
    expect(bound).toBeLessThan(drain / 2);
    expect(res.hydratedAtS as number).toBeLessThan(bound);
  });

  it("the wave gate's polls queue at the run's process, not the lab's: pull times are the same with 0 or 400 pollers", () => {
    const base = [...LAB_LIKE, 'nodes=100', ...lab];
    const a = sim([...base, 'lab.pollers=0']);
    const c = sim([...base, 'lab.pollers=400']);
    expect(times(c)).toEqual(times(a));
    expect(c.lab?.gate.requests).toBeGreaterThan(400);
  });
});
