/**
 * The three mechanisms one at a time: the DNS cache modes, Traffic Manager's
 * tolerated-failures rule and answers, and the health monitor's sustain window and fail-open.
 */
import { describe, expect, it } from 'vitest';
import { type Answer, CacheLayer } from '../../../sim/models/failover/dns-cache';
import { HealthMonitor, type RegionCondition } from '../../../sim/models/failover/health-monitor';
import { TrafficManager } from '../../../sim/models/failover/traffic-manager';

describe('DNS cache layer', () => {
  const upstream = (regions: string[], expiresAt: number) => {
    const calls: number[] = [];
    const fn = (now: number): Answer => {
      calls.push(now);
      return { regions, expiresAt };
    };
    return { fn, calls };
  };

  it('honour keeps the upstream record expiry, cap the earlier of it and its own TTL, fixed its own TTL', () => {
    const up = upstream(['a'], 100);
    expect(new CacheLayer({ mode: 'honour', ttlS: 5 }).query(0, 10, up.fn).expiresAt).toBe(100);
    expect(new CacheLayer({ mode: 'cap', ttlS: 5 }).query(0, 10, up.fn).expiresAt).toBe(15);
    expect(new CacheLayer({ mode: 'cap', ttlS: 500 }).query(0, 10, up.fn).expiresAt).toBe(100);
    expect(new CacheLayer({ mode: 'fixed', ttlS: 500 }).query(0, 10, up.fn).expiresAt).toBe(510);
  });

  it('serves its entry until expiry, then asks upstream again; none always asks; instances are separate', () => {
    const up = upstream(['a'], 1000);
    const layer = new CacheLayer({ mode: 'fixed', ttlS: 5 });
    layer.query(0, 0, up.fn);
    layer.query(0, 4.9, up.fn);
    layer.query(1, 4.9, up.fn);
    layer.query(0, 5, up.fn);
    expect(up.calls).toEqual([0, 4.9, 5]);
    expect(layer.misses).toBe(3);
    const none = upstream(['b'], 1000);
    const pass = new CacheLayer({ mode: 'none', ttlS: 5 });
    pass.query(0, 1, none.fn);
    pass.query(0, 2, none.fn);
    expect(none.calls).toEqual([1, 2]);
  });

  it('TTL 0 caches nothing; a first fill with an age draw expires early, later fills do not', () => {
    const up = upstream(['a'], 0);
    const zero = new CacheLayer({ mode: 'honour', ttlS: 0 });
    zero.query(0, 0, up.fn);
    zero.query(0, 0, up.fn);
    expect(up.calls).toHaveLength(2);
    const aged = new CacheLayer({ mode: 'fixed', ttlS: 10 }, () => 0.25);
    const far = upstream(['a'], 1e9);
    expect(aged.query(0, 0, far.fn).expiresAt).toBe(2.5);
    expect(aged.query(0, 3, far.fn).expiresAt).toBe(13);
  });
});

describe('Traffic Manager', () => {
  it('degrades after MORE than N consecutive failures; one success brings it back (no cooldown)', () => {
    const tm = new TrafficManager(['east', 'west'], 3, 1, 1, () => false);
    for (let i = 0; i < 3; i++) tm.verdict('east', 0, false, i);
    expect(tm.isDegraded('east')).toBe(false);
    expect(tm.answer()).toEqual(['east']);
    tm.verdict('east', 0, false, 3);
    expect(tm.isDegraded('east')).toBe(true);
    expect(tm.answer()).toEqual(['west']);
    tm.verdict('east', 0, true, 4);
    expect(tm.answer()).toEqual(['east']);
    expect(tm.transitions).toEqual([
      { t: 3, region: 'east', to: 'degraded' },
      { t: 4, region: 'east', to: 'online' },
    ]);
  });

  it('a success between failures restarts the count; tolerated 0 degrades on the first failure', () => {
    const tm = new TrafficManager(['east', 'west'], 1, 1, 1, () => false);
    tm.verdict('east', 0, false, 0);
    tm.verdict('east', 0, true, 1);
    tm.verdict('east', 0, false, 2);
    expect(tm.isDegraded('east')).toBe(false);
    const eager = new TrafficManager(['east', 'west'], 0, 1, 1, () => false);
    eager.verdict('east', 0, false, 0);
    expect(eager.isDegraded('east')).toBe(true);
  });

  it('all degraded answers all; excluded leaves at once; all excluded answers nothing', () => {
    let excluded = new Set<string>();
    const tm = new TrafficManager(['east', 'west'], 0, 1, 1, (r) => excluded.has(r));
    tm.verdict('east', 0, false, 0);
    tm.verdict('west', 0, false, 0);
    expect(tm.answer()).toEqual(['east', 'west']);
    tm.verdict('east', 0, true, 1);
    excluded = new Set(['east']);
    expect(tm.answer()).toEqual(['west']);
    excluded = new Set(['east', 'west']);
    expect(tm.answer()).toEqual([]);
  });

  it('several agents: Degraded while at least agentsToDegrade agents see it so', () => {
    const tm = new TrafficManager(['east', 'west'], 0, 3, 2, () => false);
    tm.verdict('east', 0, false, 0);
    expect(tm.isDegraded('east')).toBe(false);
    tm.verdict('east', 2, false, 1);
    expect(tm.isDegraded('east')).toBe(true);
    tm.verdict('east', 0, true, 2);
    expect(tm.isDegraded('east')).toBe(false);
  });
});

describe('health monitor', () => {
  const cond = (c: Partial<RegionCondition>): RegionCondition => ({
    down: false,
    unreachable: false,
    dependencyFailing: false,
    monitorCrashed: false,
    ...c,
  });

  it('unhealthy only after the dependency has failed for the sustain window, from the first failing check', () => {
    let c = cond({});
    const m = new HealthMonitor(60, () => c);
    m.tick(0);
    c = cond({ dependencyFailing: true });
    m.tick(5);
    expect(m.healthy(64.9)).toBe(true);
    expect(m.healthy(65)).toBe(false);
    c = cond({});
    expect(m.healthy(66)).toBe(false); // until the next check sees it pass
    m.tick(70);
    expect(m.healthy(70)).toBe(true);
  });

  it('fails open when it crashes, and failure runs restart when it returns', () => {
    let c = cond({ dependencyFailing: true });
    const m = new HealthMonitor(10, () => c);
    m.tick(0);
    expect(m.healthy(20)).toBe(false);
    c = cond({ dependencyFailing: true, monitorCrashed: true });
    m.tick(25);
    expect(m.healthy(26)).toBe(true);
    c = cond({ dependencyFailing: true });
    m.tick(30);
    expect(m.healthy(39)).toBe(true);
    expect(m.healthy(40)).toBe(false);
  });

  it('a region that is down answers 503 even with the monitor crashed', () => {
    const m = new HealthMonitor(60, () => cond({ down: true, monitorCrashed: true }));
    m.tick(0);
    expect(m.healthy(0)).toBe(false);
  });
});
