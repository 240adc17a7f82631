/**
 * sim cache-stampede against its closed forms (issue #20): with coalescing a digest is
 * fetched upstream once per front (once with global), whatever N; without, N times for a
 * simultaneous burst; a token bucket of burst b answers N - b 429s to a simultaneous burst
 * of N; hydrated digest pulls never touch the upstream; during an outage a breaker lets
 * through only its probe schedule. Then the same bounds over random settings, and the
 * strategy ordering across seeds.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import { createRng } from '../../../sim/kernel/rng';
import { CODES } from '../../../sim/models/cache-stampede/codes';
import { type CacheStampedeParams, cacheStampedeSchema } from '../../../sim/models/cache-stampede/params';
import {
  type Design,
  type RunResult,
  simulateCacheStampede,
} from '../../../sim/models/cache-stampede/simulate';

const NO_LIMIT = ['upstream.rateLimit.enabled=false'];

function params(sets: string[]): CacheStampedeParams {
  return resolve(cacheStampedeSchema, [], sets);
}

function design(o: Partial<Design> = {}): Design {
  return { coalescing: 'per-front', breaker: false, prewarm: false, ...o };
}

function sim(sets: string[], d: Partial<Design> = {}, seed = 1): RunResult {
  return simulateCacheStampede(params(sets), design(d), seed);
}

const fetches = (r: RunResult) => r.upstream.byObject.map((o) => o.requests);
const okPulls = (r: RunResult) => r.pulls.filter((x) => x.ok).length;
/** Requests that reached the upstream in bins starting at or after t. */
const sentFrom = (r: RunResult, t: number) =>
  r.bins.filter((b) => b.t >= t).reduce((a, b) => a + b.ok + b.throttled + b.failed, 0);

describe('one node alone (no contention, no limits)', () => {
  const alone = [
    'nodes=1',
    'image.layers=5000000',
    'image.manifestBytes=1000',
    'upstream.bps=1000000',
    ...NO_LIMIT,
  ];
  const pullS = (r: RunResult) => r.pulls[0]?.pullS as number;

  it('cold: two upstream round trips plus the bytes at the per-stream rate', () => {
    const r = sim([...alone, 'upstream.latencyMs=100']);
    expect(pullS(r)).toBeCloseTo(0.1 + 1000 / 1e6 + 0.1 + 5e6 / 1e6, 9);
  });

  it('a slow upstream multiplies the latency and divides the bandwidth by slowFactor', () => {
    // The import job (dispatched later) would otherwise lead the layer's fetch and the node join it.
    const r = sim([
      ...alone,
      'upstream.latencyMs=100',
      'upstream.fault=slow',
      'upstream.slowFactor=10',
      'cache.dispatchS=1000',
    ]);
    expect(pullS(r)).toBeCloseTo(1 + 1000 / 1e5 + 1 + 5e6 / 1e5, 9);
  });

  it('hydrated, by digest: two cache round trips plus the bytes at the cache per-stream rate', () => {
    const r = sim(
      [...alone, 'nodes=2', 'image.reference=digest', 'cache.latencyMs=5', 'cache.streamBps=2000000'],
      { prewarm: true },
    );
    expect(r.pulls[1]?.pullS as number).toBeCloseTo(0.005 + 1000 / 2e6 + 0.005 + 5e6 / 2e6, 9);
  });
});

describe('coalescing: upstream fetches per digest', () => {
  it.each([1, 10, 200, 1000])('per-front on one front: 1 per digest at N = %i', (n) => {
    const r = sim([`nodes=${n}`, ...NO_LIMIT]);
    expect(fetches(r)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(okPulls(r)).toBe(n);
    expect(r.hydratedAtS).not.toBeNull();
  });

  it('per-front counts fronts: the manifest once per front; global: once over 4 fronts', () => {
    const perFront = sim(['nodes=400', 'cache.fronts=4', ...NO_LIMIT]);
    expect(perFront.upstream.byObject[0]?.requests).toBe(4);
    for (const n of fetches(perFront)) expect(n).toBeLessThanOrEqual(4);
    const global = sim(['nodes=400', 'cache.fronts=4', ...NO_LIMIT], { coalescing: 'global' });
    expect(fetches(global)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it.each([1, 50, 500])('off, simultaneous burst: N fetches per digest on the serving path (N = %i)', (n) => {
    // Import jobs dispatched after every pull has ended: the serving path alone.
    const r = sim([`nodes=${n}`, 'cache.dispatchS=3600', ...NO_LIMIT], { coalescing: 'off' });
    expect(r.upstream.byObject.map((o) => o.serve)).toEqual([n, n, n, n, n, n]);
    // Hydration: the N import events merge into one job, which carries the manifest the front
    // served (never fetches it) and fetches each blob once, whatever hydrationWorkers is.
    expect(r.imports).toEqual({ queued: 1, run: 1 });
    expect(r.upstream.byObject.map((o) => o.hydrate)).toEqual([0, 1, 1, 1, 1, 1]);
    expect(r.hydratedAtS).toBeGreaterThan(3600);
  });
});

describe('hydration', () => {
  it.each(['off', 'per-front', 'global'] as const)(
    'imports merge per image whatever the workers (%s): one job on one front, no manifest fetch, each blob once at most',
    (coalescing) => {
      // 8 workers, 200 misses at once: a job per miss would run 8 at a time.
      const r = sim(['nodes=200', 'cache.hydrationWorkers=8', ...NO_LIMIT], { coalescing });
      expect(r.imports).toEqual({ queued: 1, run: 1 });
      expect(r.upstream.byObject[0]?.hydrate).toBe(0);
      for (const o of r.upstream.byObject) expect(o.hydrate).toBeLessThanOrEqual(1);
      expect(r.hydratedAtS).not.toBeNull();
    },
  );

  it('only a served manifest queues an import: of 50 misses against a burst of 1, one', () => {
    const r = sim(
      [
        'nodes=50',
        'upstream.rateLimit.burst=1',
        'upstream.rateLimit.perMin=0.01',
        'upstream.rateLimit.counts=manifest-get',
        'client.maxAttempts=1',
        'run.untilS=600',
      ],
      { coalescing: 'off' },
    );
    expect(r.upstream.throttled).toBe(49);
    expect(okPulls(r)).toBe(1);
    expect(r.imports).toEqual({ queued: 1, run: 1 });
    // The import spends none of the manifest budget: it carries the manifest.
    expect(r.upstream.byObject[0]?.hydrate).toBe(0);
    expect(r.hydratedAtS).not.toBeNull();
  });
});

describe('token bucket', () => {
  it.each([
    [500, 100],
    [1000, 1],
    [50, 49],
  ])('burst b, simultaneous burst of N = %i without coalescing: N - b 429s (b = %i)', (n, b) => {
    const r = sim(
      [
        `nodes=${n}`,
        `upstream.rateLimit.burst=${b}`,
        'upstream.rateLimit.perMin=6',
        'upstream.rateLimit.counts=manifest-get',
        'client.maxAttempts=1',
        // The serving path alone: import jobs (their own upstream client) never start.
        'cache.dispatchS=3600',
        'run.untilS=3000',
      ],
      { coalescing: 'off' },
    );
    expect(r.upstream.byObject[0]?.serve).toBe(n);
    expect(r.upstream.throttled).toBe(n - b);
    expect(r.pulls.filter((x) => x.code === CODES.throttled)).toHaveLength(n - b);
    expect(okPulls(r)).toBe(b);
  });

  it('with retries, the first round still has N - b 429s; the rest come back after Retry-After', () => {
    const r = sim(
      ['nodes=300', 'upstream.rateLimit.burst=40', 'upstream.rateLimit.perMin=600', 'run.binS=0.01'],
      { coalescing: 'off' },
    );
    expect(r.bins[0]?.t).toBe(0);
    expect(r.bins[0]?.throttled).toBe(260);
    expect(okPulls(r)).toBe(300);
  });

  it('with coalescing the same burst sends one manifest GET and meets no 429', () => {
    const r = sim(['nodes=500', 'upstream.rateLimit.burst=10', 'upstream.rateLimit.perMin=1']);
    expect(r.upstream.throttled).toBe(0);
    expect(r.upstream.requests.manifest).toBe(1);
  });
});

describe('hydrated content', () => {
  const prewarm = (ref: string, extra: string[] = []) =>
    sim([`image.reference=${ref}`, 'nodes=300', 'run.binS=0.01', ...NO_LIMIT, ...extra], { prewarm: true });

  it('digest references: pulls after hydration touch the upstream 0 times', () => {
    const r = prewarm('digest');
    expect(r.hydratedAtS).not.toBeNull();
    expect(sentFrom(r, r.fleetReleasedS)).toBe(0);
    expect(r.upstream.requests.head).toBe(0);
    expect(fetches(r)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(okPulls(r)).toBe(300);
  });

  it('tag references: one freshness HEAD per hydrated pull, no GET', () => {
    const r = prewarm('tag');
    expect(r.upstream.requests.head).toBe(299);
    expect(fetches(r)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('upstream down after hydration: every hydrated pull succeeds; tags are served stale', () => {
    const first = prewarm('tag');
    const down = (first.hydratedAtS as number) + 0.5; // before the webhook releases the fleet
    for (const ref of ['tag', 'digest']) {
      const r = prewarm(ref, ['upstream.fault=down', `upstream.faultStartS=${down}`]);
      expect(okPulls(r), ref).toBe(300);
      expect(Object.keys(r.errorsByCode), ref).toEqual([]);
      expect(r.staleServed).toBe(ref === 'tag' ? 299 : 0);
    }
  });

  it('upstream down before hydration: every pull fails with a code naming the cause', () => {
    const r = sim(['nodes=100', 'upstream.fault=down', 'client.maxAttempts=3', ...NO_LIMIT]);
    expect(okPulls(r)).toBe(0);
    expect(new Set(r.pulls.map((x) => x.code))).toEqual(new Set([CODES.upstreamDown]));
    expect(r.hydratedAtS).toBeNull();
    const b = sim(['nodes=100', 'upstream.fault=down', 'client.maxAttempts=3', ...NO_LIMIT], {
      coalescing: 'off',
      breaker: true,
    });
    expect(okPulls(b)).toBe(0);
    expect(new Set(b.pulls.map((x) => x.code))).toEqual(new Set([CODES.circuitOpen]));
  });
});

describe('breaker', () => {
  it('during an outage the upstream sees at most one probe per openS from each client once it opened', () => {
    const sets = [
      'nodes=200',
      'cache.fronts=2',
      'upstream.fault=down',
      'upstream.faultStartS=0',
      'breaker.failures=5',
      'breaker.windowS=10',
      'breaker.openS=30',
      'client.maxAttempts=12',
      'run.untilS=3600',
      ...NO_LIMIT,
    ];
    const on = sim(sets, { coalescing: 'off', breaker: true });
    const off = sim(sets, { coalescing: 'off', breaker: false });
    // Two fronts; no importer: a miss whose manifest never arrived has nothing to import.
    expect(on.breakers.length).toBe(2);
    expect(on.imports.queued).toBe(0);
    for (const b of on.breakers) {
      expect(b.firstTripS).not.toBeNull();
      // Once open, only half-open probes reach the upstream, one per open period at most.
      expect(b.sentAfterTrip).toBe(b.probes);
      expect(b.probes).toBeLessThanOrEqual(Math.floor((3600 - (b.firstTripS as number)) / 30) + 1);
    }
    // Before it opens it cannot help: what is in flight when it learns has gone out (the
    // fronts' first burst of 200 manifests).
    const probes = on.breakers.reduce((a, b) => a + b.probes, 0);
    expect(on.upstream.requests.total).toBeLessThanOrEqual(200 + probes);
    expect(off.upstream.requests.total).toBeGreaterThan(on.upstream.requests.total * 5);
  });

  it('a probe that succeeds closes it: the fleet pulls once the upstream is back', () => {
    const r = sim(
      [
        'nodes=100',
        'upstream.fault=5xx',
        'upstream.faultEndS=60',
        'breaker.openS=20',
        'client.maxAttempts=20',
        ...NO_LIMIT,
      ],
      { breaker: true },
    );
    expect(okPulls(r)).toBe(100);
    expect(r.breakers.some((b) => b.trips > 0)).toBe(true);
    expect(r.hydratedAtS).toBeGreaterThanOrEqual(60);
  });
});

describe('bounds over random settings', () => {
  it('fetches per digest: 1 with global, at most min(N, fronts) per-front, serve <= N and hydrate <= fronts off', () => {
    const rng = createRng(20);
    for (let i = 0; i < 40; i++) {
      const n = 1 + rng.int(300);
      const fronts = 1 + rng.int(8);
      const workers = 1 + rng.int(6);
      const layers = Array.from({ length: 1 + rng.int(6) }, () => Math.round(rng.uniform(1e5, 5e8)));
      const spread = rng.next() < 0.5 ? 0 : rng.uniform(0, 10);
      const sets = [
        `nodes=${n}`,
        `cache.fronts=${fronts}`,
        `cache.hydrationWorkers=${workers}`,
        `image.layers=${layers.join(',')}`,
        `arrivalSpreadS=${spread}`,
        ...NO_LIMIT,
      ];
      const at = `case ${i}: ${sets.join(' ')}`;
      const g = sim(sets, { coalescing: 'global' }, i);
      expect(fetches(g), at).toEqual(layers.map(() => 1).concat(1));
      const pf = sim(sets, { coalescing: 'per-front' }, i);
      for (const f of fetches(pf)) {
        expect(f, at).toBeGreaterThanOrEqual(1);
        expect(f, at).toBeLessThanOrEqual(Math.min(n, fronts));
      }
      const off = sim(sets, { coalescing: 'off' }, i);
      // Imports merge per image on each front (one job per front), and carry the manifest.
      expect(off.upstream.byObject[0]?.hydrate, at).toBe(0);
      for (const o of off.upstream.byObject) {
        expect(o.serve, at).toBeLessThanOrEqual(n);
        expect(o.hydrate, at).toBeLessThanOrEqual(fronts);
      }
      for (const r of [g, pf, off]) {
        expect(okPulls(r), at).toBe(n);
        expect(r.hydratedAtS, at).not.toBeNull();
      }
    }
  });

  it('429s of a simultaneous burst without coalescing: max(0, N - b)', () => {
    const rng = createRng(21);
    for (let i = 0; i < 30; i++) {
      const n = 1 + rng.int(400);
      const b = 1 + rng.int(300);
      const r = sim(
        [
          `nodes=${n}`,
          `upstream.rateLimit.burst=${b}`,
          `upstream.rateLimit.perMin=${rng.uniform(0.1, 100)}`,
          'upstream.rateLimit.counts=manifest-get',
          'client.maxAttempts=1',
          'cache.dispatchS=3600',
          'run.untilS=3000',
        ],
        { coalescing: 'off' },
        i,
      );
      expect(r.upstream.throttled, `N ${n} b ${b}`).toBe(Math.max(0, n - b));
    }
  });
});

describe('across seeds', () => {
  it('coalescing sends fewer upstream requests, meets fewer 429s and pulls faster at P90 than off, seeds 1-5', () => {
    const sets = [
      'nodes=300',
      'arrivalSpreadS=20',
      'upstream.rateLimit.perMin=30',
      'upstream.rateLimit.burst=50',
      'upstream.rateLimit.counts=manifest-get',
    ];
    for (let seed = 1; seed <= 5; seed++) {
      const off = simulateCacheStampede(params(sets), design({ coalescing: 'off' }), seed);
      const on = simulateCacheStampede(params(sets), design(), seed);
      const gets = (r: RunResult) => r.upstream.requests.manifest + r.upstream.requests.blob;
      expect(gets(on), `seed ${seed}`).toBeLessThan(gets(off) / 10);
      expect(on.upstream.throttled, `seed ${seed}`).toBe(0);
      expect(off.upstream.throttled, `seed ${seed}`).toBeGreaterThan(0);
      const p90 = (r: RunResult) => {
        const v = r.pulls
          .filter((x) => x.ok)
          .map((x) => x.pullS as number)
          .sort((a, b) => a - b);
        return v[Math.floor(0.9 * (v.length - 1))] as number;
      };
      expect(p90(on), `seed ${seed}`).toBeLessThan(p90(off));
    }
  });

  it('the same seed gives the same run', () => {
    const sets = ['nodes=200', 'arrivalSpreadS=5'];
    expect(sim(sets, {}, 7)).toEqual(sim(sets, {}, 7));
  });
});
