/**
 * The cache-stampede run's simulator twin (lib/k6/cache-stampede/model.ts) and the wait for
 * earlier imports (quiesce.ts): the twin gets the run's own settings and its closed forms
 * hold (per-front: 1 manifest GET + 1 GET per blob whatever the VU count; off: every VU's
 * manifest GET, the limit's burst admitted); the wait polls until no front is importing.
 */
import { describe, expect, it } from 'vitest';
import { defaults } from '../../lib/config/schema';
import { cacheTwin, noTwinReason, twinParams } from '../../lib/k6/cache-stampede/model';
import { type CacheStampedeParams, cacheStampedeSchema } from '../../lib/k6/cache-stampede/params';
import { busyImports, type HydrationView, waitImportsIdle } from '../../lib/k6/cache-stampede/quiesce';

const SEEDED = { manifestBytes: 500, configBytes: 300 };
const labRun = (over: (p: CacheStampedeParams) => void): CacheStampedeParams => {
  const p = defaults(cacheStampedeSchema);
  p.vus = 40;
  p.image.layers = [200_000, 100_000];
  p.upstream.rateLimit.burst = 10;
  p.upstream.rateLimit.perMin = 6;
  over(p);
  return p;
};
const measured = { manifestGets: 1, blobRequests: 3, throttled: 0, pullS: { p50: 0.5, p90: 0.8 } };

describe('cache-stampede twin', () => {
  it("gives the simulator the run's settings: the config blob as one more blob, the lab's limit semantics", () => {
    const s = twinParams(
      labRun((p) => {
        p.parallelLayers = 2;
        p.maxRetries = 4;
        p.upstream.latencyMs = 30;
      }),
      SEEDED,
    );
    expect(s.nodes).toBe(40);
    expect(s.image.layers).toEqual([300, 200_000, 100_000]);
    expect(s.image.manifestBytes).toBe(500);
    expect(s.upstream.latencyMs).toBe(30);
    expect(s.upstream.rateLimit).toMatchObject({
      burst: 10,
      perMin: 6,
      counts: 'manifest-get',
      scope: 'global',
    });
    expect(s.cache.fronts).toBe(1);
    expect(s.client).toMatchObject({ parallelLayers: 2, maxAttempts: 5 });
  });

  it('per-front: 1 manifest GET and one GET per blob for 40 or 400 VUs, agreeing with an exact lab count', () => {
    for (const vus of [40, 400]) {
      const t = cacheTwin(
        labRun((p) => {
          p.vus = vus;
        }),
        SEEDED,
        measured,
      );
      expect({ m: t.predicted.manifestGets, b: t.predicted.blobRequests, ok: t.predicted.ok }).toEqual({
        m: 1,
        b: 3,
        ok: vus,
      });
      expect(t.ratio.requests).toBe(1);
      expect(t.within.requests).toBe(true);
    }
  });

  it('a lab count 25 % over the prediction is outside ±10 %', () => {
    const t = cacheTwin(
      labRun(() => {}),
      SEEDED,
      { ...measured, blobRequests: 4 },
    );
    expect(t.ratio.requests).toBe(1.25);
    expect(t.within.requests).toBe(false);
  });

  it('off without retries: every VU sends its manifest GET, the burst of 10 is admitted, the rest throttled', () => {
    const t = cacheTwin(
      labRun((p) => {
        p.cache.coalescing = 'off';
        p.breaker.enabled = false;
        p.maxRetries = 0;
      }),
      SEEDED,
      measured,
    );
    expect(t.predicted.ok).toBe(10);
    expect(t.predicted.failed).toBe(30);
    // 40 from the VUs; the sim's off mode also queues one import per miss, which fetch the manifest again.
    expect(t.predicted.manifestGets).toBeGreaterThanOrEqual(40);
  });

  it('no twin for a faulted or pre-warmed run', () => {
    expect(noTwinReason(labRun(() => {}))).toBeNull();
    expect(
      noTwinReason(
        labRun((p) => {
          p.upstream.fault = 'down';
        }),
      ),
    ).toMatch(/upstream.fault=down/);
    expect(
      noTwinReason(
        labRun((p) => {
          p.prewarm = true;
        }),
      ),
    ).toMatch(/prewarm/);
  });
});

describe('waiting for earlier imports', () => {
  const view = (states: string[]): HydrationView => ({
    fronts: { eastus: { hydration: states.map((state, i) => ({ image: `r@d${i}`, state })) } },
  });

  it('lists queued and running imports only', () => {
    expect(busyImports(view(['done', 'running', 'failed', 'queued']))).toEqual([
      'eastus r@d1',
      'eastus r@d3',
    ]);
  });

  it('polls until idle, on an injected clock', async () => {
    let t = 0;
    const answers = [view(['running']), view(['running']), view(['done'])];
    const r = await waitImportsIdle(
      {
        status: async () => answers.shift() as HydrationView,
        now: () => t,
        sleep: async (ms) => {
          t += ms;
        },
        pollMs: 100,
      },
      5_000,
    );
    expect(r).toEqual({ waitedMs: 200, busy: [] });
  });

  it('gives up at the timeout and says what is still busy', async () => {
    let t = 0;
    const r = await waitImportsIdle(
      {
        status: async () => view(['running']),
        now: () => t,
        sleep: async (ms) => {
          t += ms;
        },
      },
      1_000,
    );
    expect(r).toEqual({ waitedMs: 1_000, busy: ['eastus r@d0'] });
  });
});
