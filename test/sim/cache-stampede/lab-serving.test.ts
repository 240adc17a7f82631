/**
 * The lab machine's serving in sim cache-stampede (lab-serving.ts), against its closed forms:
 * with zero service time the protocol-only simulation is recovered exactly; one node alone
 * pulls in the protocol's time plus the sum of its requests' service times; a saturated
 * hydrated burst keeps every server busy, so its last pull ends at N x requests x requestS /
 * servers; the waiting wave's gate polls only ever slow the cold wave.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
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
      const zero = sim([...base, 'lab.enabled=true', 'lab.requestS=0', 'lab.bps=0', 'lab.pollers=7']);
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

// One node's image and a known serving cost: LAB_LIKE's blobs and manifest, 4 ms a request, 50 MB/s.
const blobs = [600, 1048576, 2097152];
const manifest = 900;
const bytes = manifest + blobs.reduce((a, b) => a + b, 0);
const r = 0.004;
const bps = 50e6;
const lab = ['lab.enabled=true', `lab.requestS=${r}`, `lab.bps=${bps}`, 'lab.servers=1'];

describe('one node alone: the protocol time plus the sum of its requests', () => {
  it('hydrated, by digest, one layer at a time: ping, token, manifest, then a 307 and a data hop per blob', () => {
    const base = [
      ...LAB_LIKE,
      'nodes=1',
      'image.hydrated=true',
      'image.reference=digest',
      'client.parallelLayers=1',
    ];
    const protocol = sim(base).pulls[0]?.pullS as number;
    const served = sim([...base, ...lab]);
    const requests = 3 + 2 * blobs.length;
    expect(served.lab?.requests).toBe(requests);
    expect(served.pulls[0]?.pullS as number).toBeCloseTo(protocol + requests * r + bytes / bps, 9);
  });

  it('cold, per-front: each blob through the front once, and the upstream serving each object once more', () => {
    // Alone, with the import dispatched long after, every fetch is the node's own: 3 + blobs
    // client requests and 1 + blobs upstream requests, each with its bytes, in sequence.
    const base = [...LAB_LIKE, 'nodes=1', 'client.parallelLayers=1', 'cache.dispatchS=1000'];
    const protocol = sim(base).pulls[0]?.pullS as number;
    const served = sim([...base, ...lab]);
    const onPath = 3 + blobs.length + (1 + blobs.length);
    expect(served.pulls[0]?.pullS as number).toBeCloseTo(protocol + onPath * r + (2 * bytes) / bps, 9);
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

  it("the import's writes are lab requests: per blob HEAD, HEAD, POST, PUT with its bytes, then the manifest PUT", () => {
    // One node and its import, everything once: the node's 3 + blobs requests, the upstream's
    // 1 + blobs, the import's 4 per blob + 1; every byte three times (front, upstream, write).
    const res = sim([...LAB_LIKE, 'nodes=1', 'client.parallelLayers=1', 'cache.dispatchS=0.001', ...lab]);
    const requests = 3 + blobs.length + (1 + blobs.length) + (4 * blobs.length + 1);
    expect(res.lab?.requests).toBe(requests);
    expect(res.lab?.busyS as number).toBeCloseTo(requests * r + (3 * bytes) / bps, 9);
    expect(res.hydratedAtS as number).toBeGreaterThan(0);
  });

  it('nodes arriving before the import has written the image take it from the spool, later ones from storage', () => {
    const res = sim([
      ...LAB_LIKE,
      'nodes=300',
      'arrivalSpreadS=60',
      'cache.dispatchS=0.001',
      ...lab.slice(0, 3),
      'lab.servers=2',
    ]);
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

describe('a saturated hydrated burst keeps every server busy', () => {
  for (const [n, servers] of [
    [50, 1],
    [200, 2],
    [500, 2],
  ] as const)
    it(`${n} nodes on ${servers} server(s): the last pull ends at N x requests x requestS / servers`, () => {
      const r = 0.002;
      const res = sim([
        ...LAB_LIKE,
        `nodes=${n}`,
        'image.hydrated=true',
        'image.reference=digest',
        'cache.latencyMs=0',
        'cache.streamBps=0',
        'lab.enabled=true',
        `lab.requestS=${r}`,
        'lab.bps=0',
        `lab.servers=${servers}`,
      ]);
      const requests = 3 + 2 * 3;
      const last = Math.max(...(times(res) as number[]));
      expect(last).toBeCloseTo((n * requests * r) / servers, 6);
      // FIFO: the pulls end spread over the last round, not all together.
      const first = Math.min(...(times(res) as number[]));
      expect(first).toBeLessThan(last);
    });
});

describe('the waiting wave', () => {
  it('gate polls only ever slow the cold wave, and more pollers slow it more', () => {
    const base = [...LAB_LIKE, 'nodes=100', 'lab.enabled=true', 'lab.requestS=0.003', 'lab.bps=2e8'];
    const p50 = (pollers: number) => {
      const t = (times(sim([...base, `lab.pollers=${pollers}`])) as number[]).sort((a, b) => a - b);
      return t[Math.ceil(0.5 * t.length) - 1] as number;
    };
    const [a, b, c] = [p50(0), p50(100), p50(400)];
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
  });
});
