import { describe, expect, it } from 'vitest';
import { defaults } from '../../lib/config/schema';
import { createRng, Env } from '../../sim/kernel';
import { backoffDelay, createStoragePool, type StoragePool, startClients } from '../../sim/models';
import { type ColdPullParams, coldPullSchema } from '../../sim/models/cold-pull/params';
import { runColdPull } from '../../sim/models/cold-pull/storm';
import { FlowNetwork } from '../../sim/net';

const MiB = 2 ** 20;

/** One backend holding the only copy of each layer, and a client link to read it over. */
function singleBackend(
  storage: Partial<ColdPullParams['storage']>,
  layers: number[],
  streamBps: number,
  nicBps = 1e12,
) {
  const env = new Env();
  const net = new FlowNetwork(env);
  const p = { ...defaults(coldPullSchema).storage, backends: 1, copies: 1, ...storage };
  const pool = createStoragePool(env, net, p, layers, streamBps, createRng(1), createRng(7));
  return { env, net, pool, nic: net.addLink(nicBps) };
}

function smallParams() {
  const p = defaults(coldPullSchema);
  p.workload.nodes = 1;
  p.workload.layerSizesMiB = [100, 300, 50];
  p.client.unpackSpread = 0;
  p.client.unpackBps = 10 * MiB;
  p.client.streamBps = 100 * MiB;
  p.client.nicBps = 1e12;
  p.client.startS = 4;
  p.storage.backends = 4;
  p.storage.copies = 2;
  p.storage.fanOutCost = false;
  return p;
}

describe('backoff', () => {
  it.each([
    [0.5, 0.5],
    [1, 0],
    [0, 1],
  ])('doubles from the base, stops at the cap, and with jitter %s stays within [%s d, d]', (jitter, lo) => {
    const rng = createRng(1);
    let spread = 0;
    for (let attempt = 0; attempt < 12; attempt++) {
      const d = Math.min(60, 2 * 2 ** attempt);
      for (let i = 0; i < 50; i++) {
        const v = backoffDelay(attempt, 2, 60, jitter, rng);
        expect(v).toBeGreaterThanOrEqual(lo * d);
        expect(v).toBeLessThanOrEqual(d);
        spread = Math.max(spread, (d - v) / d);
      }
    }
    // The random share is used: the shortest delay drawn comes close to the bound.
    if (jitter === 0) expect(spread).toBe(0);
    else expect(spread).toBeGreaterThan(0.9 * jitter);
  });
});

describe('clients: sequential unpack critical path', () => {
  it('one uncontended node: closed-form pod startup', () => {
    const p = smallParams();
    const r = runColdPull(p, 1);
    // Downloads (3 streams at 100 MiB/s) all done by t=3 s; unpack is the critical path:
    // layer 0 arrives at 1 s, then 100+300+50 MiB at 10 MiB/s = 45 s, then start 4 s.
    expect(r.nodes.pullS[0]).toBeCloseTo(1 + 45, 9);
    expect(r.nodes.podStartupS[0]).toBeCloseTo(1 + 45 + 4, 9);
    // 450 MiB over the 3 s from first request to last byte.
    expect(r.nodes.egressBps[0]).toBeCloseTo((450 * MiB) / 3, 3);
    expect(r.metrics.throttleEvents).toBe(0);
  });

  it('limits a node to maxConcurrentDownloads streams sharing its NIC', () => {
    const p = smallParams();
    p.workload.layerSizesMiB = [100, 100, 100, 100];
    p.client.maxConcurrentDownloads = 2;
    p.client.nicBps = 100 * MiB; // two streams share 100 MiB/s -> 50 each
    p.client.unpackBps = 1e12;
    const r = runColdPull(p, 1);
    // Two waves of two 100 MiB layers at 50 MiB/s: last byte at 4 s.
    expect(r.nodes.pullS[0]).toBeCloseTo(4, 3);
  });
});

/**
 * A storage pool stand-in for client tests: every read runs at 100 B/s over [client,
 * backend], and `refuse(n)` decides whether the n-th request (1-based) is answered 503.
 */
function scriptedPool(net: FlowNetwork, refuse: (n: number) => boolean) {
  const backend = net.addLink(1e12);
  const asked: number[] = [];
  const cancelled: number[] = [];
  const sizes = new Map<number, number>();
  const pool: StoragePool = {
    links: [backend],
    pickCopy: (layer) => layer,
    backendOf: () => 0,
    read(_copy, client, bytes, onDone) {
      asked.push(bytes);
      if (refuse(asked.length)) return -1;
      const f = net.startFlow([client, backend], bytes, () => onDone(), 100);
      sizes.set(f, bytes);
      return f;
    },
    cancel(read) {
      const got = (sizes.get(read) as number) - net.cancelFlow(read);
      cancelled.push(got);
      return got;
    },
    throttles: 0,
    backendThrottles: new Int32Array(1),
    firstThrottleS: new Float64Array(1),
    lastThrottleS: new Float64Array(1),
    layerThrottles: new Int32Array(1),
    bytesServed: new Float64Array(1),
    peakEgress: new Float64Array(1),
    crowdedReads: 0,
    peakWorkingBytes: 0,
  };
  return { pool, asked, cancelled };
}

describe('clients: range requests and back-off', () => {
  it('reads a layer as chunkBytes requests, backs off with a per-node doubling, resumes at the byte reached', () => {
    const env = new Env();
    const net = new FlowNetwork(env);
    // The second request (bytes 100..200) is refused twice.
    const { pool, asked } = scriptedPool(net, (n) => n === 2 || n === 3);
    const p = { ...smallParams().client, chunkBytes: 100, retryBaseS: 2, retryCapS: 100, unpackBps: 1e12 };
    const res = startClients(env, net, pool, p, 1, [250], createRng(3), createRng(4));
    env.run();
    // Bytes 0..100, then 100..200 refused twice (back-off in [1,2) then [2,4)), then
    // 100..200 and 200..250.
    expect(asked).toEqual([100, 100, 100, 100, 50]);
    expect(res.throttled[0]).toBe(2);
    const pull = res.pullS[0] as number;
    expect(pull).toBeGreaterThanOrEqual(1 + 1 + 2 + 1.5);
    expect(pull).toBeLessThan(1 + 2 + 4 + 1.5);
  });

  it("onThrottle='pull': a 503 cancels the node's other downloads, stops its unpack, and the next pull resumes", () => {
    const env = new Env();
    const net = new FlowNetwork(env);
    const { pool, asked, cancelled } = scriptedPool(net, (n) => n === 3);
    const p = {
      ...smallParams().client,
      onThrottle: 'pull' as const,
      maxConcurrentDownloads: 2,
      chunkBytes: 60,
      retryBaseS: 8,
      retryCapS: 100,
      retryJitter: 0.5,
      unpackBps: 50,
    };
    const res = startClients(env, net, pool, p, 1, [60, 60, 100], createRng(3), createRng(4));
    env.run();
    const wait = backoffDelay(0, 8, 100, 0.5, createRng(4));
    // t=0: layers 0 and 1 (60 B each at 100 B/s). t=0.6: layer 0 is done (its unpack runs
    // 0.6..1.8); slot 0 asks for layer 2 and gets the 503; layer 1's read, due at this same
    // instant, is cancelled having delivered all 60 B, so layer 1 counts as downloaded.
    expect(asked.slice(0, 3)).toEqual([60, 60, 60]);
    expect(cancelled).toEqual([60]);
    expect(res.throttled[0]).toBe(1);
    // The pull failed: layer 1's unpack may not start at 1.8 (read mode would run it
    // 1.8..3.0). The next pull, at 0.6 + wait, fetches only layer 2 (two chunks, 1 s) and
    // applies layer 1 (1.2 s) and then layer 2 (2 s).
    expect(asked.slice(3)).toEqual([60, 40]);
    expect(res.pullS[0]).toBeCloseTo(0.6 + wait + 1.2 + 2, 9);
    expect(res.egressBps[0]).toBeCloseTo(220 / (0.6 + wait + 1), 6);
  });
});

describe('storage pool', () => {
  it('places C copies of each layer on C distinct backends', () => {
    const env = new Env();
    const net = new FlowNetwork(env);
    const p = { ...defaults(coldPullSchema).storage, backends: 10, copies: 4 };
    const pool = createStoragePool(env, net, p, [1, 2, 3], MiB, createRng(1), createRng(2));
    for (let l = 0; l < 3; l++) {
      const bs = new Set(Array.from({ length: 4 }, (_, j) => pool.backendOf(l * 4 + j)));
      expect(bs.size).toBe(4);
    }
  });

  it.each([
    [1, 1],
    [0.25, 1],
    [0.25, 0.5],
    [0.25, 0],
  ])(
    'throttles only while windowed egress is above the ceiling, with probability shedFraction x (1 - ceiling/E)^shedExponent (%s, %s)',
    (shedFraction, shedExponent) => {
      const { env, pool, nic } = singleBackend(
        { ceilingBps: 100, burstFactor: 2, meterWindowS: 10, fanOutCost: false, shedFraction, shedExponent },
        [1e9],
        1e9,
      );
      // A fresh backend admits everything: the meter has seen nothing yet.
      for (let i = 0; i < 50; i++) expect(pool.read(0, nic, 1e9, () => {})).toBeGreaterThanOrEqual(0);
      // Served at 200 B/s (burst capacity) for 6 s: the 10 s average is 120 > 100.
      env.run(6);
      expect(pool.peakEgress[0]).toBeCloseTo(120, 6);
      let refused = 0;
      const tries = 20000;
      for (let i = 0; i < tries; i++) if (pool.read(0, nic, 1e9, () => {}) < 0) refused++;
      expect(pool.throttles).toBe(refused);
      // The same refusals, counted per backend and per layer, all at the instant they were asked.
      expect(pool.backendThrottles[0]).toBe(refused);
      expect(pool.layerThrottles[0]).toBe(refused);
      expect(refused).toBeGreaterThan(0);
      expect([pool.firstThrottleS[0], pool.lastThrottleS[0]]).toEqual([6, 6]);
      const expected = shedFraction * (1 - 100 / 120) ** shedExponent;
      expect(refused / tries).toBeGreaterThan(expected - 0.015);
      expect(refused / tries).toBeLessThan(expected + 0.015);
    },
  );

  it('lets a burst shorter than the window pass without throttling', () => {
    const { env, net, pool, nic } = singleBackend(
      { ceilingBps: 100, burstFactor: 2, meterWindowS: 10, fanOutCost: false },
      [400],
      1e9,
    );
    // 800 bytes at 200 B/s: 4 s of burst, a 10 s average of 80 at most.
    pool.read(0, nic, 400, () => {});
    pool.read(0, nic, 400, () => {});
    env.run();
    expect(pool.peakEgress[0]).toBeCloseTo(80, 6);
    expect(net.linkPeak(pool.links[0] as number)).toBeCloseTo(200, 6);
    expect(pool.read(0, nic, 1, () => {})).toBeGreaterThanOrEqual(0);
    expect(pool.throttles).toBe(0);
    expect(pool.firstThrottleS[0]).toBeNaN();
  });

  it('lets served egress exceed the ceiling up to the burst capacity', () => {
    const { env, net, pool, nic } = singleBackend({ ceilingBps: 10, burstFactor: 1.5 }, [100], 1, 1e9);
    for (let i = 0; i < 200; i++) pool.read(0, nic, 100, () => {});
    env.run(1);
    expect(net.linkPeak(pool.links[0] as number)).toBeGreaterThan(10);
    expect(net.linkPeak(pool.links[0] as number)).toBeLessThanOrEqual(15 + 1e-9);
  });

  it('slows every stream on a backend whose working set exceeds its cache by (cache / working set)^exponent', () => {
    const run = (layers: number, fanOutCost: boolean) => {
      const { env, pool, nic } = singleBackend(
        { ceilingBps: 1e9, meterWindowS: 10, fanOutCost, cacheBytes: 150, crowdingExponent: 2 },
        [100, 100, 100],
        20,
      );
      const ends: number[] = [];
      for (let l = 0; l < layers; l++) pool.read(l, nic, 100, () => ends.push(env.now));
      env.run();
      return { ends, crowded: pool.crowdedReads, peak: pool.peakWorkingBytes };
    };
    // One 100-byte copy fits the 150-byte cache: 100 B at 20 B/s.
    expect(run(1, true)).toEqual({ ends: [expect.closeTo(5, 9)], crowded: 0, peak: 100 });
    // Two: 200 bytes in the working set, each stream at 20 x (150/200)^2 = 11.25 B/s (the
    // first read was capped again when the second copy entered).
    const two = run(2, true);
    for (const e of two.ends) expect(e).toBeCloseTo(100 / 11.25, 9);
    expect(two.crowded).toBe(1);
    // Three: 20 x (1/2)^2 = 5 B/s.
    for (const e of run(3, true).ends) expect(e).toBeCloseTo(20, 9);
    // Ablation: no working-set cost, each at 20 B/s.
    for (const e of run(3, false).ends) expect(e).toBeCloseTo(5, 9);
  });

  it('keeps a copy in the working set for meterWindowS after its last read ended', () => {
    // Layer 0 is read alone (ends at t = 5); layer 1 `gap` seconds later, alone: it shares
    // the cache with layer 0 while layer 0 is within the window (200 > 150 bytes).
    const secondRead = (gap: number) => {
      const { env, pool, nic } = singleBackend(
        { ceilingBps: 1e9, meterWindowS: 10, fanOutCost: true, cacheBytes: 150, crowdingExponent: 2 },
        [100, 100],
        20,
      );
      pool.read(0, nic, 100, () => {});
      let took = 0;
      env.schedule(5 + gap, () => {
        const start = env.now;
        pool.read(1, nic, 100, () => (took = env.now - start));
      });
      env.run();
      return took;
    };
    // Read at t = 7: at 11.25 B/s until layer 0 leaves the set at t = 15 (90 bytes), then
    // the last 10 bytes at 20 B/s.
    expect(secondRead(2)).toBeCloseTo(8 + 10 / 20, 9);
    // Read at t = 16: layer 0 left at t = 15, the read runs at 20 B/s.
    expect(secondRead(11)).toBeCloseTo(5, 9);
  });

  it('uses the clients model with a shared storage pool (smoke)', () => {
    const env = new Env();
    const net = new FlowNetwork(env);
    const d = defaults(coldPullSchema);
    const pool = createStoragePool(
      env,
      net,
      { ...d.storage, backends: 8, copies: 2 },
      [MiB, 2 * MiB],
      d.client.streamBps,
      createRng(1),
      createRng(2),
    );
    const res = startClients(env, net, pool, d.client, 20, [MiB, 2 * MiB], createRng(3), createRng(4));
    env.run();
    expect(Array.from(res.podStartupS).every(Number.isFinite)).toBe(true);
  });
});
