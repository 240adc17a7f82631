/**
 * `sim replication` against closed forms: the failed share of `none` is P(pull before the
 * replica holds the tag) for the configured lag distribution; retry, wait-webhook and
 * pin-home end with no failed pull; lag P50 = base + bytes/bandwidth + jitter median with
 * no queueing; a deterministic D/D/1 backlog grows by (service - gap) per push; the DNS
 * scatter share of a per-request resolver against a strict alternation is min(1, T/I).
 * Each holds across seeds.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import { createRng } from '../../../sim/kernel/rng';
import type { ReplicationParams } from '../../../sim/models/replication/params';
import { replicationModel } from '../../../sim/models/replication/plugin';
import { closedForm, simulateScatter } from '../../../sim/models/replication/scatter';
import { simulateReplication } from '../../../sim/models/replication/simulate';
import { empiricalDraw, empiricalExceeds } from '../../../sim/models/replication/timeline';

function params(sets: string[]): ReplicationParams {
  const p = resolve(replicationModel.schema, [], ['scatter.pushes=0', ...sets]);
  replicationModel.validate?.(p, { layers: [], sets });
  return p;
}

const SEEDS = [1, 2, 3];
const share = (out: ReturnType<typeof simulateReplication>, s: string) =>
  out.strategies.find((x) => x.strategy === s)?.failedShare;

describe('pull failures against the lag distribution', () => {
  // Unlimited bandwidth: lag = base + U[0, J); a puller at offset o fails iff o < lag.
  const base = 1;
  const J = 4;
  const failAt = (o: number) => Math.min(1, Math.max(0, (base + J - o) / J));
  it.each(SEEDS)('none fails with P(lag > offset) at every swept offset (seed %i)', (seed) => {
    const p = params([
      'replication.bandwidthBps=0',
      `replication.baseLagS=${base}`,
      `replication.jitterS=${J}`,
      'pushes.count=4000',
      'pushes.perMinute=60',
      'pullers.count=4000',
      'pullers.offsets=0,1,2,3,4,5,6',
      'strategies=none',
    ]);
    const out = simulateReplication(p, seed);
    expect(out.strategies[0]?.byOffset.length).toBe(7);
    const within = (out.strategies[0]?.byOffset ?? []).every(
      (o) => Math.abs(o.failedShare - failAt(o.offsetS)) < 0.03,
    );
    expect(within).toBe(true);
  });

  it.each(SEEDS)(
    'offset 0 with a start spread S: P(fail) = E[min(1, lag / S)] = (base + J/2) / S (seed %i)',
    (seed) => {
      const p = params([
        'replication.bandwidthBps=0',
        'replication.baseLagS=1',
        'replication.jitterS=2',
        'pushes.count=5000',
        'pullers.count=20000',
        'pullers.spreadS=10',
        'strategies=none',
      ]);
      expect(share(simulateReplication(p, seed), 'none')).toBeGreaterThan(0.2 - 0.015);
      expect(share(simulateReplication(p, seed), 'none')).toBeLessThan(0.2 + 0.015);
    },
  );

  it.each(SEEDS)(
    'retry, wait-webhook and pin-home end with 0 failed pulls; none and a short sleep do not (seed %i)',
    (seed) => {
      const out = simulateReplication(params(['pullers.count=3000', 'fixedSleep.sleepS=2']), seed);
      expect(share(out, 'retry')).toBe(0);
      expect(share(out, 'wait-webhook')).toBe(0);
      expect(share(out, 'pin-home')).toBe(0);
      expect(share(out, 'none')).toBe(1);
      expect(share(out, 'fixed-sleep')).toBeGreaterThan(0.9);
      // wait-webhook succeeds exactly one webhook delay after the landing in its region.
      const ww = out.pullers.filter((r) => r.strategy === 'wait-webhook');
      for (const r of ww.slice(0, 50)) {
        const land = out.timeline.watched[r.push]?.land[r.region] as number;
        expect(r.toSuccessS).toBeCloseTo(land - (out.timeline.watched[r.push]?.homeAt as number) + 0.5, 9);
      }
    },
  );
});

describe('a measured lag distribution (replication.extraLagQuantilesS), as a lab twin passes it', () => {
  // L = base + bytes/bandwidth = 1 + 1 = 2 s; offsets around it.
  const L = 2;
  const offsets = [0, 1.9, 1.99, 2, 2.025, 2.05, 2.1, 2.2, 2.3, 3];
  const run = (seed: number, extra: string[]) =>
    simulateReplication(
      params([
        'replication.baseLagS=1',
        'replication.jitterS=0',
        'image.bytes=2e6',
        'replication.bandwidthBps=2e6',
        'pushes.perMinute=6',
        'pushes.count=4000',
        'pullers.count=4000',
        `pullers.offsets=${offsets.join(',')}`,
        'strategies=none',
        ...extra,
      ]),
      seed,
    ).strategies[0]?.byOffset ?? [];

  it('jitter 0: the step function, every pull before L fails and none at or after it', () => {
    const by = run(1, []);
    expect(by.map((o) => o.offsetS)).toEqual(offsets);
    for (const o of by) expect(o.failedShare, `offset ${o.offsetS}`).toBe(o.offsetS < L ? 1 : 0);
  });

  // Quantiles 0, 0.1, 0.3 s at p = 0, 1/2, 1: a CDF linear from 0 to 1/2 over [0, 0.1) and
  // from 1/2 to 1 over [0.1, 0.3). P(lag > x) = P(extra > x - L), written out by hand:
  const exceeds = (e: number) =>
    e < 0 ? 1 : e < 0.1 ? 1 - 0.5 * (e / 0.1) : e < 0.3 ? 0.5 - 0.5 * ((e - 0.1) / 0.2) : 0;

  it.each(SEEDS)(
    'jitter J: the failed share at offset x is P(lag > x) of that distribution (seed %i)',
    (seed) => {
      const by = run(seed, ['replication.extraLagQuantilesS=0,0.1,0.3']);
      for (const o of by)
        expect(Math.abs(o.failedShare - exceeds(o.offsetS - L)), `offset ${o.offsetS}`).toBeLessThan(0.03);
    },
  );

  it('empiricalExceeds is that closed form; empiricalDraw samples it', () => {
    const q = [0, 0.1, 0.3];
    for (const e of [-0.1, 0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.29, 0.3, 1])
      expect(empiricalExceeds(q, e), `e ${e}`).toBeCloseTo(exceeds(e), 12);
    // a point mass (repeated quantiles): half the draws are exactly 0
    expect(empiricalExceeds([0, 0, 1], 0)).toBeCloseTo(0.5, 12);
    const draw = empiricalDraw(q) as (r: ReturnType<typeof createRng>) => number;
    const rng = createRng(7);
    const xs = Array.from({ length: 20000 }, () => draw(rng));
    for (const e of [0.05, 0.1, 0.2])
      expect(Math.abs(xs.filter((x) => x > e).length / xs.length - exceeds(e))).toBeLessThan(0.015);
    expect(empiricalDraw([])).toBeNull();
  });

  it('bad quantile lists exit 2 naming the field', () => {
    expect(() => params(['replication.extraLagQuantilesS=0.2,0.1'])).toThrow(/extraLagQuantilesS\[1\]/);
    expect(() => params(['replication.extraLagQuantilesS=0.2'])).toThrow(/extraLagQuantilesS/);
  });
});

describe('replication lag and queueing', () => {
  it.each(SEEDS)('no queueing: lag P50 = base + bytes/bandwidth + J/2 (seed %i)', (seed) => {
    const out = simulateReplication(
      params([
        'replication.baseLagS=1',
        'replication.jitterS=2',
        'image.bytes=100e6',
        'replication.bandwidthBps=100e6',
        'pushes.perMinute=1',
        'pushes.count=2000',
        'pullers.count=10',
      ]),
      seed,
    );
    const lags = out.lags.map((l) => l.lagS).sort((a, b) => a - b);
    expect(lags[Math.floor(lags.length / 2)]).toBeCloseTo(1 + 1 + 1, 1);
    expect(Math.min(...lags)).toBeGreaterThanOrEqual(2 - 1e-9);
    expect(Math.max(...lags)).toBeLessThan(4);
  });

  it('no jitter, no queueing: every lag is exactly base + bytes/bandwidth', () => {
    const out = simulateReplication(
      params([
        'replication.jitterS=0',
        'image.bytes=50e6',
        'replication.bandwidthBps=20e6',
        'pushes.perMinute=2',
      ]),
      1,
    );
    for (const l of out.lags) expect(l.lagS).toBeCloseTo(1 + 2.5, 9);
  });

  it('D/D/1: pushes every a s, service s > a, one copy at a time: lag_n = base + s + n (s - a)', () => {
    const a = 6;
    const s = 10;
    const out = simulateReplication(
      params([
        'replication.jitterS=0',
        'replication.baseLagS=0.5',
        'replication.concurrency=1',
        'image.bytes=100e6',
        'replication.bandwidthBps=10e6',
        `pushes.perMinute=${60 / a}`,
        'pushes.count=30',
        'pullers.count=10',
      ]),
      1,
    );
    for (const l of out.lags) expect(l.lagS).toBeCloseTo(0.5 + s + l.push * (s - a), 6);
    expect(out.timeline.maxBacklog.westeurope).toBeGreaterThan(5);
  });

  it('copies in flight share the link: two simultaneous pushes with concurrency 2 both land after 2 bytes/bandwidth', () => {
    const out = simulateReplication(
      params([
        'replication.jitterS=0',
        'replication.baseLagS=0',
        'replication.concurrency=2',
        'image.bytes=10e6',
        'replication.bandwidthBps=10e6',
        'pushes.perMinute=1e9',
        'pushes.count=2',
        'pullers.count=2',
      ]),
      1,
    );
    for (const l of out.lags) expect(l.lagS).toBeCloseTo(2, 6);
  });
});

describe('DNS scatter against the closed form', () => {
  const cases: Array<[string, string[], number]> = [
    ['T/I = 0.5, two regions', ['scatter.pushS=0.5', 'scatter.flapIntervalS=1'], 0.5],
    [
      'T/I = 0.15, three regions',
      ['scatter.pushS=0.3', 'scatter.flapIntervalS=2', 'scatter.flapRegions=3'],
      0.15,
    ],
    ['T > I: always', ['scatter.pushS=3', 'scatter.flapIntervalS=1'], 1],
    ['one layer (k = 3)', ['scatter.pushS=0.8', 'scatter.flapIntervalS=1', 'scatter.layers=1'], 0.8],
  ];
  for (const [name, sets, expected] of cases)
    it.each(SEEDS)(`per-request resolver, ${name}: min(1, T/I) (seed %i)`, (seed) => {
      const p = params([...sets, 'scatter.pushes=20000']);
      const none = simulateScatter(p, createRng(seed)).find((r) => r.mitigation === 'none');
      expect(closedForm(p.scatter, 'none')).toBeCloseTo(expected, 12);
      expect(Math.abs((none?.scatteredShare ?? -1) - expected)).toBeLessThan(0.015);
    });

  it.each(SEEDS)(
    'regional and dns-pin never scatter; retry-push recovers when T + spacing < I (seed %i)',
    (seed) => {
      const p = params(['scatter.pushS=0.5', 'scatter.flapIntervalS=1', 'scatter.pushes=5000']);
      const r = Object.fromEntries(simulateScatter(p, createRng(seed)).map((x) => [x.mitigation, x]));
      expect(r.regional?.scattered).toBe(0);
      expect(r['dns-pin']?.scattered).toBe(0);
      expect(r['retry-push']?.scattered).toBe(0);
      expect(r['retry-push']?.attemptsMean).toBeGreaterThan(1.4);
      // Every scattered push failed with one of the two codes.
      const none = r.none;
      expect((none?.byCode.BLOB_UPLOAD_UNKNOWN ?? 0) + (none?.byCode.MANIFEST_BLOB_UNKNOWN ?? 0)).toBe(
        none?.scattered,
      );
      expect(none?.byCode.BLOB_UPLOAD_UNKNOWN).toBeGreaterThan(0);
      expect(none?.byCode.MANIFEST_BLOB_UNKNOWN).toBeGreaterThan(0);
    },
  );

  it('per-connection resolver: min(1, (c-1) spacing / I); a TTL cache covering the push never scatters', () => {
    const p = params([
      'scatter.resolver=per-connection',
      'scatter.connections=3',
      'scatter.layers=5',
      'scatter.pushS=2',
      'scatter.flapIntervalS=1',
      'scatter.pushes=20000',
    ]);
    const none = simulateScatter(p, createRng(4)).find((r) => r.mitigation === 'none');
    expect(closedForm(p.scatter, 'none')).toBeCloseTo(0.4, 12);
    expect(Math.abs((none?.scatteredShare ?? -1) - 0.4)).toBeLessThan(0.015);
    const ttl = params(['scatter.resolver=ttl', 'scatter.ttlS=5', 'scatter.pushS=2', 'scatter.pushes=2000']);
    expect(simulateScatter(ttl, createRng(4)).find((r) => r.mitigation === 'none')?.scattered).toBe(0);
  });
});
