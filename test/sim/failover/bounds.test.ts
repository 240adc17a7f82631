/**
 * The exact bounds of sim/models/failover/bounds.ts against the simulator: for 1,000
 * settings with Azure's defaults and each cache layering, and 1,000 random settings,
 * Traffic Manager's detection and every client's failover and failback time lie inside
 * them; with uniform phases the mean detection matches the closed form within 1%; and the
 * bounds are reached (they are exact, not merely safe).
 */
import { describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import { createRng, type Rng } from '../../../sim/kernel/rng';
import {
  bounds,
  clientFailbackRange,
  clientFailoverRange,
  detectionMean,
  detectionRange,
  failbackMean,
  failbackRange,
  requestGap,
  stalenessBound,
  stalenessSum,
} from '../../../sim/models/failover/bounds';
import { CACHE_MODES, type FailoverParams, failoverSchema } from '../../../sim/models/failover/params';
import { validateFailover } from '../../../sim/models/failover/plugin';
import { simulateFailover } from '../../../sim/models/failover/simulate';

const EPS = 1e-9;
/** Heavy property tests: generous on a shared, loaded machine (cost, not timing, is asserted nowhere). */
const SLOW = 240_000;

function params(sets: string[]): FailoverParams {
  const p = resolve(failoverSchema, [], sets);
  validateFailover(p);
  return p;
}

/** Places the fault window so that every client can fail over and back inside the run. */
function withWindow(p: FailoverParams, rng: Rng): FailoverParams {
  const cf = clientFailoverRange(p);
  const cb = clientFailbackRange(p);
  if (!cf || !cb) throw new Error('test settings must fail over');
  const warm = stalenessSum(p) + rng.uniform(10, 60);
  const start = warm;
  const clear = start + cf.max + 5 + rng.uniform(0, 20);
  const duration = clear + cb.max + 10;
  return {
    ...p,
    run: { ...p.run, durationS: duration },
    fault: { ...p.fault, startS: start, clearS: clear },
  };
}

interface Check {
  runs: number;
  detection: number[];
}

function checkRun(p: FailoverParams, seed: number, acc: Check): void {
  const out = simulateFailover(p, seed);
  const d = detectionRange(p);
  const b = failbackRange(p);
  const cf = clientFailoverRange(p);
  const cb = clientFailbackRange(p);
  const ctx = () =>
    JSON.stringify({
      seed,
      fault: p.fault,
      tm: p.trafficManager,
      health: p.health,
      cache: p.cache,
      clients: p.clients,
      ttl: p.dns.ttlS,
    });
  expect(d && b && cf && cb, ctx()).toBeTruthy();
  if (!d || !b || !cf || !cb) return;
  expect(out.detectionS, ctx()).not.toBeNull();
  const det = out.detectionS as number;
  expect(det, ctx()).toBeGreaterThanOrEqual(d.min - EPS);
  expect(det, ctx()).toBeLessThanOrEqual(d.max + EPS);
  expect(out.failbackDetectionS, ctx()).not.toBeNull();
  expect(out.failbackDetectionS as number, ctx()).toBeGreaterThanOrEqual(b.min - EPS);
  expect(out.failbackDetectionS as number, ctx()).toBeLessThanOrEqual(b.max + EPS);
  for (const c of out.clients) {
    expect(c.failoverS, ctx()).not.toBeNull();
    expect(c.switchedS, ctx()).not.toBeNull();
    expect(c.failoverS as number, ctx()).toBeGreaterThanOrEqual(cf.min - EPS);
    expect(c.failoverS as number, ctx()).toBeLessThanOrEqual(cf.max + EPS);
    // Per run, the tighter form: detection of this run plus the client's own part.
    expect(c.failoverS as number).toBeGreaterThanOrEqual(det + p.clients.pullS - EPS);
    expect(c.failoverS as number).toBeLessThanOrEqual(
      det + stalenessBound(p) + requestGap(p) + p.clients.pullS + EPS,
    );
    expect(c.failbackS, ctx()).not.toBeNull();
    expect(c.failbackS as number, ctx()).toBeGreaterThanOrEqual(cb.min - EPS);
    expect(c.failbackS as number, ctx()).toBeLessThanOrEqual(cb.max + EPS);
  }
  acc.runs++;
  acc.detection.push(det);
}

/** Cache layerings: none (Go), k6's own cache, node-local, cluster, and stacks of them. */
const LAYERINGS: Record<string, string[]> = {
  none: ['cache.cluster.mode=none'],
  'k6 dns.ttl 5 s': ['cache.cluster.mode=none', 'cache.client.mode=fixed', 'cache.client.ttlS=5'],
  'node-local cap 30': ['cache.cluster.mode=none', 'cache.node.mode=cap', 'cache.node.ttlS=30'],
  'cluster cap 30': [],
  'cluster honour': ['cache.cluster.mode=honour'],
  'node honour + cluster cap': ['cache.node.mode=honour'],
  'k6 + node-local + cluster': ['cache.client.mode=fixed', 'cache.client.ttlS=10', 'cache.node.mode=cap'],
  'fixed 120 on cap 30': [
    'cache.client.mode=fixed',
    'cache.client.ttlS=120',
    'cache.node.mode=cap',
    'cache.node.ttlS=15',
  ],
};

describe('failover bounds: Azure defaults (30 s / 3 tolerated / 10 s timeout) x each cache layering', () => {
  // 3 fault kinds x 8 layerings x 42 seeds = 1,008 runs
  for (const [k, kind] of ['region-down', 'storage-fail', 'region-unreachable'].entries())
    it(
      `${kind}: 336 runs, detection, failover and failback of every client inside the exact bounds`,
      () => {
        const rng = createRng(15 + k);
        const acc: Check = { runs: 0, detection: [] };
        const names = Object.keys(LAYERINGS);
        for (let i = 0; i < 42 * names.length; i++) {
          const layering = names[i % names.length] as string;
          const base = params([
            `fault.kind=${kind}`,
            'clients.count=8',
            'cache.clientsPerNode=4',
            ...(LAYERINGS[layering] as string[]),
          ]);
          checkRun(withWindow(base, rng), 1000 * (k + 1) + i, acc);
        }
        expect(acc.runs).toBe(336);
      },
      SLOW,
    );
});

function randomSettings(rng: Rng): FailoverParams {
  const interval = rng.next() < 0.5 ? rng.choice([10, 30]) : rng.uniform(1, 30);
  const agents = 1 + rng.int(3);
  const kind = rng.choice(['region-down', 'storage-fail', 'region-unreachable']);
  const mode = () => rng.choice(CACHE_MODES);
  const sets = [
    `fault.kind=${kind}`,
    `trafficManager.probeIntervalS=${interval}`,
    `trafficManager.probeTimeoutS=${rng.uniform(0.05, 0.99) * interval}`,
    `trafficManager.toleratedFailures=${rng.int(10)}`,
    `trafficManager.agents=${agents}`,
    `trafficManager.agentsToDegrade=${1 + rng.int(agents)}`,
    `health.sustainS=${rng.uniform(0, 120)}`,
    `health.checkIntervalS=${rng.uniform(0.5, 10)}`,
    `dns.ttlS=${rng.uniform(0, 60)}`,
    `cache.client.mode=${mode()}`,
    `cache.client.ttlS=${rng.uniform(0, 60)}`,
    `cache.node.mode=${mode()}`,
    `cache.node.ttlS=${rng.uniform(0, 60)}`,
    `cache.cluster.mode=${mode()}`,
    `cache.cluster.ttlS=${rng.uniform(0, 60)}`,
    `cache.clientsPerNode=${1 + rng.int(5)}`,
    'clients.count=8',
    `clients.pullS=${rng.uniform(0.2, 5)}`,
    `clients.thinkS=${rng.uniform(0, 3)}`,
    `clients.failS=${rng.uniform(0.01, 1)}`,
    `clients.timeoutS=${rng.uniform(2, 30)}`,
  ];
  return withWindow(params(sets), rng);
}

describe('failover bounds: random settings', () => {
  for (const half of [0, 1])
    it(
      `500 random settings (interval, tolerance, timeout, agents, sustain, TTLs, cache modes), batch ${half + 1} of 2: inside the bounds`,
      () => {
        const rng = createRng(1515 + half);
        const acc: Check = { runs: 0, detection: [] };
        for (let i = 0; i < 500; i++) checkRun(randomSettings(rng), 5000 + 500 * half + i, acc);
        expect(acc.runs).toBe(500);
      },
      SLOW,
    );

  it('the chain bound never exceeds the sum of the layers TTLs, and equals it for fixed layers', () => {
    const rng = createRng(7);
    for (let i = 0; i < 1000; i++) {
      const p = randomSettings(rng);
      expect(stalenessBound(p)).toBeLessThanOrEqual(stalenessSum(p) + EPS);
    }
    const fixed = params([
      'cache.client.mode=fixed',
      'cache.client.ttlS=5',
      'cache.node.mode=fixed',
      'cache.node.ttlS=7',
      'cache.cluster.mode=fixed',
      'cache.cluster.ttlS=11',
    ]);
    expect(stalenessBound(fixed)).toBe(23);
    // honouring caches count down the record's own TTL: the chain holds it once, not thrice
    const honour = params([
      'cache.client.mode=honour',
      'cache.node.mode=honour',
      'cache.cluster.mode=honour',
    ]);
    expect(stalenessBound(honour)).toBe(30);
    expect(stalenessSum(honour)).toBe(90);
    expect(bounds(honour).stalenessMax).toBe(30);
  });
});

describe('failover: closed forms with a uniform fault phase', () => {
  const meanOf = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const runMany = (sets: string[], n: number, seed0: number) => {
    const p = params([
      'clients.count=1',
      'run.durationS=900',
      'fault.startS=100',
      'fault.clearS=800',
      ...sets,
    ]);
    const det: number[] = [];
    const fo: number[] = [];
    for (let s = 0; s < n; s++) {
      const out = simulateFailover(p, seed0 + s);
      det.push(out.detectionS as number);
      fo.push(out.clients[0]?.failoverS as number);
    }
    return { p, det, fo };
  };

  for (const kind of ['region-down', 'storage-fail', 'region-unreachable'])
    it(
      `${kind}: mean detection = E[u] + (N + 1/2) I + r within 1% (Azure defaults)`,
      () => {
        const { p, det } = runMany([`fault.kind=${kind}`], 2000, 77);
        const expected = detectionMean(p) as number;
        expect(Math.abs(meanOf(det) - expected) / expected).toBeLessThan(0.01);
        // exact, not merely safe: the runs reach both ends of the range
        const d = detectionRange(p);
        const width = (d?.max ?? 0) - (d?.min ?? 0);
        expect(Math.min(...det) - (d?.min ?? 0)).toBeLessThan(0.02 * width);
        expect((d?.max ?? 0) - Math.max(...det)).toBeLessThan(0.02 * width);
      },
      SLOW,
    );

  it('region-down, fault phase swept evenly over the probe interval: mean detection and failback exact to 1%', () => {
    const det: number[] = [];
    const back: number[] = [];
    let p: FailoverParams | undefined;
    for (let k = 0; k < 300; k++) {
      p = params([
        'clients.count=1',
        'run.durationS=450',
        'fault.startS=100',
        'fault.clearS=400',
        'trafficManager.probePhase=fixed',
        `trafficManager.probeOffsetS=${((k + 0.5) / 300) * 30}`,
      ]);
      const out = simulateFailover(p, 1);
      det.push(out.detectionS as number);
      back.push(out.failbackDetectionS as number);
    }
    if (!p) return;
    expect(Math.abs(meanOf(det) - (detectionMean(p) as number)) / (detectionMean(p) as number)).toBeLessThan(
      0.01,
    );
    expect(Math.abs(meanOf(back) - (failbackMean(p) as number)) / (failbackMean(p) as number)).toBeLessThan(
      0.01,
    );
  });

  it(
    "k6's own 5 s cache, no other: mean failover = E[D] + ttl/2 + pull within 1%",
    () => {
      const { p, fo } = runMany(
        [
          'cache.cluster.mode=none',
          'cache.client.mode=fixed',
          'cache.client.ttlS=5',
          'clients.thinkS=0',
          'clients.failS=0.2',
        ],
        1500,
        4242,
      );
      const expected = (detectionMean(p) as number) + 5 / 2 + p.clients.pullS;
      expect(Math.abs(meanOf(fo) - expected) / expected).toBeLessThan(0.01);
    },
    SLOW,
  );
});
