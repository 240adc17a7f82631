/**
 * firstExpiryS: a cache layer's first fills held until a given moment (the twin of a
 * measured run pins k6's shared cache to its last lookup before the fault + TTL), and the
 * twin-like run it gives: detection and failover follow from the pinned phases exactly.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import { CacheLayer } from '../../../sim/models/failover/dns-cache';
import { type FailoverParams, failoverSchema } from '../../../sim/models/failover/params';
import { simulateFailover } from '../../../sim/models/failover/simulate';

describe('CacheLayer firstExpiryS', () => {
  it('holds the first fill until the pinned moment, then refills lazily with its TTL', () => {
    let n = 0;
    const up = (now: number) => ({ regions: [`r${n++}`], expiresAt: now + 30 });
    const c = new CacheLayer({ mode: 'fixed', ttlS: 5, firstExpiryS: 11.1 }, () => 0.5);
    expect(c.query(0, 0.3, up)).toEqual({ regions: ['r0'], expiresAt: 11.1 });
    expect(c.query(0, 11.0, up).regions).toEqual(['r0']);
    expect(c.query(0, 11.2, up)).toEqual({ regions: ['r1'], expiresAt: 16.2 });
  });

  it('a pinned moment already past at the first query is ignored (a normal fill)', () => {
    const c = new CacheLayer({ mode: 'fixed', ttlS: 5, firstExpiryS: 1 });
    expect(c.query(0, 2, (now) => ({ regions: ['a'], expiresAt: now + 30 })).expiresAt).toBe(7);
  });
});

describe('a run with every phase pinned', () => {
  it('fails the fleet over at the first lookup after Traffic Manager turned, the same for every seed', () => {
    const p = resolve(
      failoverSchema,
      [],
      [
        'run.durationS=45',
        'fault.startS=12',
        'fault.clearS=28',
        'trafficManager.probeIntervalS=2',
        'trafficManager.probeTimeoutS=1',
        'trafficManager.toleratedFailures=2',
        'trafficManager.probePhase=fixed',
        'trafficManager.probeOffsetS=0.3',
        'dns.ttlS=5',
        'cache.cluster.mode=none',
        'cache.node.mode=fixed',
        'cache.node.ttlS=5',
        'cache.node.firstExpiryS=15.8',
        'cache.clientsPerNode=4',
        'clients.count=4',
        'clients.pullS=0.1',
        'clients.thinkS=0.5',
        'clients.failS=0.01',
      ],
    ) as FailoverParams;
    for (const seed of [1, 2, 3]) {
      const out = simulateFailover(p, seed);
      // probes at 12.3, 14.3, 16.3 fail: degraded at the 3rd, 4.3 s after the fault
      expect(out.detectionS).toBeCloseTo(4.3, 9);
      // the shared cache refills just after 15.8 (eastus still answered) and again just
      // after 20.8 (westus): every client's first success ends within one gap of 20.8 + pull
      for (const c of out.clients) {
        expect(c.failoverS as number).toBeGreaterThanOrEqual(20.8 + 0.1 - 12);
        expect(c.failoverS as number).toBeLessThanOrEqual(20.8 + 0.6 + 0.1 + 0.1 - 12);
      }
    }
  });
});
