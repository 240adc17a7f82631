/**
 * The pull-through cache's decision logic on a FakeClock: the upstream's token bucket
 * (global and per client, Docker-Hub-like headers), the breaker's open / half-open / close
 * cycle, the per-front coalescer, and cache-rule validation.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../lib/clock';
import { InputError } from '../../lib/errors';
import { Breaker, type BreakerSettings } from '../../lib/lab/cache/breaker';
import { Coalescer, type CoalescingMode } from '../../lib/lab/cache/coalescer';
import { checkCacheRules, matchRule, parseCacheRule } from '../../lib/lab/cache/rules';
import { checkCachePatch } from '../../lib/lab/cache/runtime';
import { resolveLabConfig } from '../../lib/lab/config';
import { createState } from '../../lib/lab/state';
import { topology } from '../../lib/lab/topology';
import { type RateLimitSettings, UpstreamLimiter } from '../../lib/lab/upstream/limiter';

const DOMAIN = 'stampede.test';

describe('upstream limiter', () => {
  const settings = (o: Partial<RateLimitSettings> = {}): RateLimitSettings => ({
    scope: 'global',
    perMin: 60,
    burst: 3,
    retryAfterS: 7,
    ...o,
  });

  it('admits a burst, then 429s with Retry-After until a token refills at perMin', () => {
    const clock = new FakeClock();
    const l = new UpstreamLimiter(() => settings(), clock);
    const got = [1, 2, 3, 4].map(() => l.take('127.0.10.1'));
    expect(got.map((a) => a.ok)).toEqual([true, true, true, false]);
    expect(got[2]?.headers['ratelimit-remaining']).toBe('0;w=3');
    expect(got[0]?.headers['ratelimit-limit']).toBe('3;w=3');
    expect(got[3]?.headers['retry-after']).toBe('7');
    clock.advance(999);
    expect(l.take('127.0.10.1').ok).toBe(false);
    clock.advance(1);
    expect(l.take('127.0.10.1').ok).toBe(true); // 60/min = one token per second
  });

  it('global scope shares one bucket; client scope gives each IP its own', () => {
    const clock = new FakeClock();
    let s = settings({ burst: 1 });
    const l = new UpstreamLimiter(() => s, clock);
    expect(l.take('a').ok).toBe(true);
    expect(l.take('b').ok).toBe(false);
    s = settings({ burst: 1, scope: 'client' });
    l.reset();
    expect(l.take('a').ok).toBe(true);
    expect(l.take('b').ok).toBe(true);
    expect(l.take('a').ok).toBe(false);
  });

  it('N simultaneous requests past the burst: exactly N - burst are refused', () => {
    const l = new UpstreamLimiter(() => settings({ burst: 10 }), new FakeClock());
    const refused = Array.from({ length: 40 }, () => l.take('x')).filter((a) => !a.ok).length;
    expect(refused).toBe(30);
  });
});

describe('breaker', () => {
  const on: BreakerSettings = { enabled: true, failures: 3, windowS: 10, openS: 30 };

  it('K failures within W open it; it refuses until openS, then lets one probe through', () => {
    const clock = new FakeClock();
    const b = new Breaker(() => on, clock);
    b.failure();
    b.failure();
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.status().state).toBe('open');
    expect(b.allow()).toBe(false);
    clock.advance(29_999);
    expect(b.allow()).toBe(false);
    clock.advance(1);
    expect(b.allow()).toBe(true); // the half-open probe
    expect(b.allow()).toBe(false); // only one
    b.success();
    expect(b.status().state).toBe('closed');
    expect(b.allow()).toBe(true);
    expect(b.status()).toMatchObject({ opened: 1, refused: 3 });
  });

  it('failures spread wider than the window never open it', () => {
    const clock = new FakeClock();
    const b = new Breaker(() => on, clock);
    for (let i = 0; i < 10; i++) {
      b.failure();
      clock.advance(5_001);
    }
    expect(b.status().state).toBe('closed');
  });

  it('a failed half-open probe opens it for another openS', () => {
    const clock = new FakeClock();
    const b = new Breaker(() => on, clock);
    for (let i = 0; i < 3; i++) b.failure();
    clock.advance(30_000);
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.status().state).toBe('open');
    expect(b.status().reopensInS).toBe(30);
    expect(b.status().opened).toBe(2);
  });

  it('disabled: always allows, never opens', () => {
    const b = new Breaker(() => ({ ...on, enabled: false }), new FakeClock());
    for (let i = 0; i < 10; i++) b.failure();
    expect(b.allow()).toBe(true);
    expect(b.status().state).toBe('closed');
  });
});

describe('coalescer', () => {
  const deferred = () => {
    let resolve!: (v: number) => void;
    const p = new Promise<number>((r) => {
      resolve = r;
    });
    return { p, resolve };
  };

  it('per-front: N concurrent calls for one key run fn once and share its result', async () => {
    let mode: CoalescingMode = 'per-front';
    const c = new Coalescer<number>(() => mode);
    const d = deferred();
    let calls = 0;
    const all = Array.from({ length: 50 }, () =>
      c.run('sha256:a', () => {
        calls++;
        return d.p;
      }),
    );
    d.resolve(7);
    expect(await Promise.all(all)).toEqual(Array(50).fill(7));
    expect(calls).toBe(1);
    expect(c.stats()).toEqual({ leaders: 1, joined: 49, inFlight: 0 });
    // settled: the next miss fetches again; off: every call runs
    await c.run('sha256:a', async () => {
      calls++;
      return 1;
    });
    mode = 'off';
    await Promise.all([1, 2, 3].map(() => c.run('sha256:a', async () => ++calls)));
    expect(calls).toBe(5);
  });

  it('per-front: a failure reaches every waiter and is not kept', async () => {
    const c = new Coalescer<number>(() => 'per-front');
    const fails = [1, 2].map(() => c.run('k', () => Promise.reject(new Error('429'))));
    for (const f of fails) await expect(f).rejects.toThrow('429');
    expect(await c.run('k', async () => 3)).toBe(3);
  });
});

describe('cache rules', () => {
  it('parses, maps a repository to its upstream path, and matches prefixes on path boundaries', () => {
    const rules = checkCacheRules(
      ['hub/library=upstream.stampede.test/library', 'mcr=127.0.0.9:5000/x'],
      DOMAIN,
      'cache.rules',
    );
    expect(matchRule('hub/library/node', rules)?.upstreamRepo).toBe('library/node');
    expect(matchRule('mcr', rules)?.upstreamRepo).toBe('x');
    expect(matchRule('hub/librarything', rules)).toBeNull();
  });

  it('refuses an overlap, a non-local upstream and a bad prefix, naming the field', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as InputError;
      }
      throw new Error('no error');
    };
    const overlap = err(() =>
      checkCacheRules(
        ['hub=upstream.stampede.test/a', 'hub/library=upstream.stampede.test/b'],
        DOMAIN,
        'cache.rules',
      ),
    );
    expect(overlap).toBeInstanceOf(InputError);
    expect(overlap.field).toBe('cache.rules[1]');
    expect(overlap.code).toBe('CACHE_RULE_OVERLAP');
    const remote = err(() => parseCacheRule('hub=registry-1.docker.io/library', DOMAIN, 'cache.rules[0]'));
    expect(remote.field).toBe('cache.rules[0].upstream');
    expect(remote.code).toBe('UPSTREAM_NOT_LOCAL');
    expect(err(() => parseCacheRule('hub=10.0.0.1/x', DOMAIN, 'r')).code).toBe('UPSTREAM_NOT_LOCAL');
    expect(err(() => parseCacheRule('Hub=upstream.stampede.test/x', DOMAIN, 'r')).field).toBe('r.downstream');
  });

  it('lab config: a zero rate limit and rules without the upstream are refused', () => {
    expect(() => resolveLabConfig([], ['upstream.rateLimit.perMin=0'])).toThrow(
      /upstream\.rateLimit\.perMin/,
    );
    expect(() => resolveLabConfig([], ['cache.rules=hub=upstream.stampede.test/library'])).toThrow(
      /upstream\.enabled/,
    );
    const cfg = resolveLabConfig(
      [],
      ['upstream.enabled=true', 'cache.rules=hub=upstream.stampede.test/library'],
    );
    const state = createState(cfg, topology(cfg, { netns: false }));
    expect(state.cache.rules).toHaveLength(1);
    const next = checkCachePatch({ 'cache.coalescing': 'off', 'breaker.failures': '3' }, state.cache);
    expect(next.settings.cache.coalescing).toBe('off');
    expect(next.settings.breaker.failures).toBe(3);
    expect(() => checkCachePatch({ 'upstream.rateLimit.perMin': 0 }, state.cache)).toThrow(/perMin/);
    expect(() => checkCachePatch({ 'cache.rules': [] }, state.cache)).toThrow(/cache\.rules/);
  });
});
