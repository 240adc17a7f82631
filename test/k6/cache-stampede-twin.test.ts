/**
 * The cache-stampede run's simulator twin (lib/k6/cache-stampede/model.ts) and the wait for
 * earlier imports (quiesce.ts): the twin gets the run's own settings and its closed forms
 * hold (per-front: 1 manifest GET + 1 GET per blob whatever the VU count; off: every VU's
 * manifest GET, the limit's burst admitted, each admitted VU's blob GETs and one merged import's);
 * the wait polls until no front is importing.
 */
import { describe, expect, it } from 'vitest';
import { defaults } from '../../lib/config/schema';
import {
  cacheTwin,
  fitServing,
  hydratedWaveParams,
  noTwinReason,
  REQUESTS_TOLERANCE,
  type ServingFit,
  twinParams,
} from '../../lib/k6/cache-stampede/model';
import { type CacheStampedeParams, cacheStampedeSchema } from '../../lib/k6/cache-stampede/params';
import { busyImports, type HydrationView, waitImportsIdle } from '../../lib/k6/cache-stampede/quiesce';
import { simStepTimes, stepGroups } from '../../lib/k6/cache-stampede/steps';
import type { CacheStampedeParams as SimParams } from '../../sim/models/cache-stampede/params';
import { simulateCacheStampede } from '../../sim/models/cache-stampede/simulate';

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

/** A 200-VU, two-wave lab run whose serving is known: the simulator with these costs on 2 servers. */
const knownLab = (requestS: number, bps: number) => ({
  p: labRun((x) => {
    x.vus = 200;
    x.waves = 2;
    x.image.layers = [1 << 20, 2 << 20];
  }),
  truth: { enabled: true, requestS, bps, servers: 2, pollers: 0, spool: true, pollS: 5 } as SimParams['lab'],
});

/** The pull P50/P90 of a simulated wave's successful pulls (nearest rank, as the lab's). */
const pullQuantiles = (r: ReturnType<typeof simulateCacheStampede>) => {
  const ts = r.pulls
    .filter((x) => x.ok)
    .map((x) => x.pullS as number)
    .sort((a, b) => a - b);
  return {
    p50: ts[Math.ceil(0.5 * ts.length) - 1] as number,
    p90: ts[Math.ceil(0.9 * ts.length) - 1] as number,
  };
};

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

  it("off, 40 VUs without retries: the twin predicts the lab's requests by kind, not only their total", () => {
    const p = labRun((x) => {
      x.cache.coalescing = 'off';
      x.breaker.enabled = false;
      x.maxRetries = 0;
    });
    const { burst } = p.upstream.rateLimit;
    const blobs = 1 + p.image.layers.length; // the config blob and the layers
    // The lab's mechanism (lib/lab/cache/serve.ts, hydrator.ts): every VU GETs the manifest
    // once (no retries); the bucket admits `burst`, the rest are 429s. Each admitted VU GETs
    // every blob straight through (off keeps nothing it streams); their import events merge
    // into one job per image, which carries the served manifest and GETs each blob once.
    // So at most burst x blobs + blobs blob GETs; fewer only when a VU's blob read comes after
    // the import has landed that blob, or an import GET falls after the counter window.
    const lab = { manifestGets: p.vus, throttled: p.vus - burst, ok: burst, blobMax: burst * blobs + blobs };
    expect(lab).toEqual({ manifestGets: 40, throttled: 30, ok: 10, blobMax: 33 });
    // What the e2e recorded for this run (40 manifest GETs, 30 429s, 10 ok pulls, 32 blob
    // GETs: inside [burst x blobs, blobMax], as the mechanism allows).
    const recorded = { manifestGets: 40, blobRequests: 32, throttled: 30, pullS: null };
    const t = cacheTwin(p, SEEDED, recorded);
    expect({
      manifestGets: t.predicted.manifestGets,
      blob: t.predicted.blobRequests,
      throttled: t.predicted.throttled,
      ok: t.predicted.ok,
      failed: t.predicted.failed,
    }).toEqual({
      manifestGets: lab.manifestGets,
      blob: lab.blobMax,
      throttled: lab.throttled,
      ok: lab.ok,
      failed: 30,
    });
    // By kind within ±10 % of the recorded run, and so the total (was 46 + 26 against 40 + 32
    // while the sim queued one import per miss, each fetching the manifest again).
    expect(t.predicted.manifestGets).toBe(recorded.manifestGets);
    expect(Math.abs(recorded.blobRequests / t.predicted.blobRequests - 1)).toBeLessThanOrEqual(
      REQUESTS_TOLERANCE,
    );
    expect(t.within.requests).toBe(true);
    // Any blob count the mechanism allows is within ±10 % of the prediction.
    for (const b of [burst * blobs, lab.blobMax])
      expect(Math.abs(b / t.predicted.blobRequests - 1)).toBeLessThanOrEqual(REQUESTS_TOLERANCE);
  });

  it('waves=1: no serving fit, and the pull times are the protocol-only simulation exactly', () => {
    const p = labRun(() => {});
    const t = cacheTwin(p, SEEDED, measured);
    expect(t.serving).toEqual({ skipped: expect.stringMatching(/waves=1/) });
    expect(t.heldOutError).toBeNull();
    expect(t.ablations).toBeNull();
    const sp = twinParams(p, SEEDED);
    expect(sp.lab.enabled).toBe(false);
    const r = simulateCacheStampede(sp, { coalescing: 'per-front', breaker: true, prewarm: false }, 1);
    const ts = r.pulls.map((x) => x.pullS as number).sort((a, b) => a - b);
    expect(t.predicted.pullS).toEqual({
      p50: ts[Math.ceil(0.5 * ts.length) - 1],
      p90: ts[Math.ceil(0.9 * ts.length) - 1],
    });
  });

  it('fits the lab serving on the hydrated wave alone and predicts the cold wave it never saw', () => {
    // A lab whose serving is known: the simulator itself with lab.requestS = 6 ms, lab.bps =
    // 150 MB/s on 2 servers. Its hydrated wave is what the twin is fitted on; its cold wave
    // (per-front, the waiting wave polling the gate) is the held-out figure.
    const { p, truth } = knownLab(0.006, 150e6);
    const q = (sp: SimParams) =>
      pullQuantiles(
        simulateCacheStampede(
          sp,
          { coalescing: sp.cache.coalescing, breaker: sp.breaker.enabled, prewarm: false },
          1,
        ),
      );
    const hydrated = q(hydratedWaveParams(p, SEEDED, truth));
    const coldParams = twinParams(p, SEEDED);
    coldParams.lab = { ...truth, pollers: p.vus };
    const cold = q(coldParams);
    // Seconds, as the lab's: 200 VUs x 9 requests x 6 ms / 2 servers is 5.4 s of requests alone.
    expect(hydrated.p50).toBeGreaterThan(3);
    const t = cacheTwin(p, SEEDED, { ...measured, pullS: cold }, { hydrated, servers: 2 });
    const s = t.serving as ServingFit;
    expect(s.on).toMatch(/wave 2/);
    expect(Math.abs(s.fitError.p50 as number)).toBeLessThan(0.03);
    expect(Math.abs(s.fitError.p90 as number)).toBeLessThan(0.03);
    expect(s.pollers).toBe(200);
    expect(t.sets).toContain('lab.enabled=true');
    expect(Math.abs(t.heldOutError?.p50 as number)).toBeLessThan(0.05);
    expect(Math.abs(t.heldOutError?.p90 as number)).toBeLessThan(0.05);
    expect(t.within).toEqual({ requests: true, p50: true, p90: true });
    // Ablations: the protocol alone is milliseconds; without the gate polls the cold wave is faster.
    expect(t.ablations?.protocolOnly?.p50 as number).toBeLessThan(0.1);
    expect(t.ablations?.noGatePolls?.p50 as number).toBeLessThan(t.predicted.pullS?.p50 as number);
  });

  it("recovers the request's cost and the byte's from the pulls and the payloads' seconds per MB", () => {
    // A known lab (the simulator itself): 2 ms per request, 20 MB/s per server, where bytes
    // are most of a pull (3 MiB at 20 MB/s against 9 requests): the payloads' slope is then
    // well above 2 standard errors (0.84 +- 0.27 s/MB) and is fitted.
    const { p, truth } = knownLab(0.002, 20e6);
    const r = simulateCacheStampede(
      hydratedWaveParams(p, SEEDED, truth),
      { coalescing: 'per-front', breaker: true, prewarm: false },
      1,
    );
    const hydrated = { ...pullQuantiles(r), steps: stepGroups(simStepTimes(r.steps ?? [])) };
    // Payloads of 300 B, 1 MiB and 2 MiB: their median times climb with size.
    const payloads = hydrated.steps.filter((g) => g.what === 'payload');
    expect(payloads.map((g) => g.bytes)).toEqual([300, 1 << 20, 2 << 20]);
    const s = fitServing(p, SEEDED, hydrated, 2);
    expect(s.terms.map((t) => t.what)).toEqual(['pull p50', 'pull p90', 'payload per MB']);
    expect(Math.abs(Math.log(s.requestS / truth.requestS))).toBeLessThan(Math.log(1.15));
    expect(Math.abs(Math.log(s.bps / truth.bps))).toBeLessThan(Math.log(1.15));
    for (const t of s.terms) expect(Math.abs(t.error as number), t.what).toBeLessThan(0.05);
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
