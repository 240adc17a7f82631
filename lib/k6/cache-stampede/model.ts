/**
 * The lab run's twin in the simulator (sim/models/cache-stampede): the run's own settings
 * (vus, image sizes as seeded, upstream limit, latency and bandwidth, coalescing, hydration
 * workers, breaker, the k6 client's retries and parallel layers) given to
 * `simulateCacheStampede`, and its upstream requests and pull times set beside what the lab
 * measured for the cold wave. Settings the lab has no counterpart for keep the simulator's
 * defaults (cache.latencyMs, cache.streamBps).
 *
 * The protocol alone takes milliseconds on loopback; a lab pull takes seconds, spent in the
 * lab machine's own serving (k6 with N VUs, the front, registry, storage and upstream on two
 * cores). The twin gets that from an observable that is not the figure it predicts: with
 * waves=2, the hydrated wave (pulls by digest, no upstream) fits the simulator's lab serving
 * (sim/models/cache-stampede/lab-serving.ts: lab.requestS per request and lab.bps for bytes,
 * queued for lab.servers = the machine's cores; request and byte cost told apart by the
 * wave's per-step times, steps.ts), and the twin then PREDICTS the cold wave's P50/P90 with
 * those, through the upstream, coalescing, the front's spool and the import's writes, breaker
 * and 429s, the waiting wave's gate polls included. The cold wave's error is held out: nothing was fitted on it. With
 * waves=1 there is nothing to fit on, and the pull times are the protocol's (ratio only).
 */
import { nelderMead } from '../../../sim/experiments/nelder-mead';

import {
  type CacheStampedeParams as SimParams,
  cacheStampedeSchema as simSchema,
} from '../../../sim/models/cache-stampede/params';
import { simulateCacheStampede } from '../../../sim/models/cache-stampede/simulate';
import { defaults } from '../../config/schema';
import { GATE_LONG_POLL_S } from './gate-poll';
import type { CacheStampedeParams } from './params';
import { payloadLine, type StepGroup, simStepTimes, stepGroups } from './steps';

/** The issue's agreement bounds: upstream requests ±10 %, pull P50/P90 ±15 %. */
export const REQUESTS_TOLERANCE = 0.1;
export const LATENCY_TOLERANCE = 0.15;
/** The k6 client's back-off (lib/k6/vu/retry.ts defaults): 0.25 s doubling, at most 8 s, x U[0.5, 1.5). */
const K6_RETRY = { baseS: 0.25, capS: 8, jitter: 0.5 };
/** The lab hydrator (lib/lab/cache/hydrator.ts): 3 attempts, 1 s x 2^n apart. */
const HYDRATOR = { attempts: 3, retryS: 1 };

/** The serving fit's bounds (sim params.ts lab.requestS, lab.bps). */
const REQUEST_S = { min: 1e-6, max: 1 };
const BPS = { min: 1e6, max: 1e11 };
const FIT_EVALUATIONS = 80;

export interface Quantiles2 {
  p50: number;
  p90: number;
}

/** A wave as the serving fit sees it: its pull P50/P90 and its requests' median times by kind (steps.ts). */
export interface WaveTimes extends Quantiles2 {
  steps?: StepGroup[];
}

/** One figure the serving fit matched: the lab's, the fitted simulator's, and (sim - lab) / lab. */
export interface FitTerm {
  what: string;
  unit: 's' | 's/MB';
  measured: number;
  fitted: number | null;
  error: number | null;
}

/** The lab serving fitted on the hydrated wave (never on the cold wave it predicts). */
export interface ServingFit {
  on: 'wave 2 (hydrated, by digest)';
  /** Fitted: machine time per HTTP request (s), bytes per second of one server (B/s). */
  requestS: number;
  bps: number;
  /** Recorded: the machine's cores; the waiting wave's VUs polling the gate during wave 1. */
  servers: number;
  pollers: number;
  /** The hydrated wave measured and as fitted, and (fitted - measured) / measured. */
  measured: Quantiles2;
  fitted: Quantiles2 | null;
  fitError: { p50: number | null; p90: number | null };
  /**
   * Every figure the fit matched: pull P50/P90 and the payloads' seconds per MB (the per-byte
   * cost is identified by the steps, not by the pulls: every VU pulls the same bytes).
   */
  terms: FitTerm[];
  /** Each step's median time, lab and fitted (by step; payloads by size): shown, not fitted. */
  steps: FitTerm[];
  /**
   * The lab's payload seconds per MB and its standard error: fitted when above SLOPE_SE
   * standard errors, else bytes are free (lab.bps at its bound), not resolved by the steps.
   */
  payloadSPerMB: { s: number; se: number } | null;
  evaluations: number;
}

export interface CacheMeasured {
  /** Upstream manifest GETs and blob requests of the cold wave. */
  manifestGets: number;
  blobRequests: number;
  throttled: number;
  pullS: { p50: number; p90: number } | null;
}

export interface CacheTwin {
  /** The simulated configuration, as `stampede sim cache-stampede --set` keys. */
  sets: string[];
  predicted: CacheMeasured & { ok: number; failed: number };
  measured: CacheMeasured;
  /** measured / predicted. */
  ratio: { requests: number | null; p50: number | null; p90: number | null };
  /** Within the issue's bounds (requests ±10 %; latency ±15 %). */
  within: { requests: boolean; p50: boolean; p90: boolean };
  /**
   * The cold wave's pull-time error, (predicted - measured) / measured, held out: the lab
   * serving was fitted on the hydrated wave only. Null without a serving fit.
   */
  heldOutError: { p50: number | null; p90: number | null } | null;
  /** The lab serving the pull times include, or why there is none (protocol times only). */
  serving: ServingFit | { skipped: string };
  /**
   * With a serving fit, the cold wave's prediction with one mechanism taken out: the protocol
   * alone (no lab serving: the old twin) and the serving without the waiting wave's gate polls.
   */
  ablations: {
    protocolOnly: Quantiles2 | null;
    noGatePolls: Quantiles2 | null;
    /** The old byte path: blobs by 307 as soon as the front has them, the import's writes free. */
    noSpool: Quantiles2 | null;
  } | null;
  /** With a serving fit, the cold wave's step times, lab (held out) and predicted, matched by kind. */
  coldSteps: FitTerm[] | null;
}

export interface TwinOptions {
  /** The simulator's seed (its client jitter; a simultaneous burst draws nothing else). */
  seed?: number;
  /** The hydrated wave's measured pull and step times (waves=2): what the lab serving is fitted on. */
  hydrated?: WaveTimes | null;
  /** The lab machine's cores (recorded where the run ran). */
  servers?: number;
  /** The cold wave's step times (held out like its pulls: shown beside the prediction, never fitted). */
  coldSteps?: StepGroup[];
}

/** Why a run has no twin (null: it has one). */
export function noTwinReason(p: CacheStampedeParams): string | null {
  if (p.upstream.fault !== 'none')
    return `upstream.fault=${p.upstream.fault} (the lab's fault shapes differ from the sim's)`;
  if (p.prewarm) return 'prewarm (the lab pre-warms before the run; the measured burst is all hydrated)';
  return null;
}

/** The simulator's parameters for this lab run. */
export function twinParams(
  p: CacheStampedeParams,
  seeded: { manifestBytes: number; configBytes: number },
): SimParams {
  const s = defaults(simSchema);
  s.nodes = p.vus;
  s.arrivalSpreadS = p.arrivalSpreadS;
  // The sim's objects are the manifest then blobs: the config blob is one more blob.
  s.image = {
    layers: [seeded.configBytes, ...p.image.layers],
    manifestBytes: seeded.manifestBytes,
    hydrated: false,
    reference: 'tag',
  };
  s.upstream = {
    ...s.upstream,
    latencyMs: p.upstream.latencyMs,
    bps: p.upstream.bps,
    aggregateBps: 0,
    fault: 'none',
    rateLimit: {
      enabled: true,
      scope: p.upstream.rateLimit.scope,
      perMin: p.upstream.rateLimit.perMin,
      burst: p.upstream.rateLimit.burst,
      retryAfterS: p.upstream.rateLimit.retryAfterS,
      // The lab upstream charges manifest GETs only, as Docker Hub does.
      counts: 'manifest-get',
    },
  };
  s.cache = {
    ...s.cache,
    coalescing: p.cache.coalescing,
    // The k6 fleet pulls through the client region's front only.
    fronts: 1,
    hydrationWorkers: p.cache.hydrationWorkers,
    // The lab front queues the import as the manifest arrives.
    dispatchS: 0,
    importRetryS: HYDRATOR.retryS,
    importMaxAttempts: HYDRATOR.attempts,
  };
  s.client = {
    parallelLayers: p.parallelLayers,
    retryBaseS: K6_RETRY.baseS,
    retryCapS: K6_RETRY.capS,
    retryJitter: K6_RETRY.jitter,
    honorRetryAfter: true,
    maxAttempts: p.maxRetries + 1,
  };
  s.breaker = { ...p.breaker };
  s.prewarm = { ...s.prewarm, enabled: false };
  s.strategies = ['as-set'];
  s.run = { ...s.run, untilS: p.maxDurationS };
  return s;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
/** Nearest-rank quantile (the lab's records use the same). */
const q = (xs: number[], f: number): number =>
  xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(f * xs.length) - 1))] as number;

const ratioOf = (m: number, p: number): number | null => (p > 0 ? m / p : m === 0 ? 1 : null);
const inBand = (r: number | null, tol: number) => r !== null && Math.abs(r - 1) <= tol;
const errorOf = (sim: number, lab: number): number | null => (lab > 0 ? (sim - lab) / lab : null);
const clamp = (x: number, b: { min: number; max: number }) => Math.min(b.max, Math.max(b.min, x));

/** P50/P90 of the pulls that succeeded in one simulated run. */
function simulatedPulls(sp: SimParams, seed: number) {
  const r = simulateCacheStampede(
    sp,
    { coalescing: sp.cache.coalescing, breaker: sp.breaker.enabled, prewarm: false },
    seed,
  );
  const times = sorted(r.pulls.filter((x) => x.ok).map((x) => x.pullS as number));
  return {
    r,
    times,
    pullS: times.length ? { p50: q(times, 0.5), p90: q(times, 0.9) } : null,
    steps: r.steps ? stepGroups(simStepTimes(r.steps)) : [],
  };
}

const groupKey = (g: StepGroup) => `${g.what}${g.what === 'payload' ? ` ${g.bytes} B` : ''}`;

/** (sim - lab) / lab of one figure. */
const term = (what: string, unit: FitTerm['unit'], measured: number, fitted: number | null): FitTerm => ({
  what,
  unit,
  measured,
  fitted,
  error: fitted === null ? null : errorOf(fitted, measured),
});

/** Seconds per MB of payload: the slope of the payloads' median times over their sizes (steps.ts), and its SE. */
const payloadSPerMB = (g: StepGroup[] | undefined): { s: number; se: number } | null => {
  const line = g ? payloadLine(g) : null;
  return line ? { s: line.slopeSPerByte * 1e6, se: line.seSPerByte * 1e6 } : null;
};
/** The measured slope is fitted only this many standard errors above 0; below, bytes are free. */
const SLOPE_SE = 2;

/**
 * The figures the serving fit matches, lab against simulator: pull P50 and P90, which every
 * request and byte adds to, and the payloads' seconds per MB (their median times' slope over
 * their sizes, from a few hundred bytes to megabytes in the same pulls), which only bytes
 * do. Without a positive measured slope (bytes cost nothing the steps can see) the pulls alone.
 */
function fitTerms(lab: WaveTimes, sim: { pullS: Quantiles2 | null; steps: StepGroup[] }): FitTerm[] {
  const terms = [
    term('pull p50', 's', lab.p50, sim.pullS?.p50 ?? null),
    term('pull p90', 's', lab.p90, sim.pullS?.p90 ?? null),
  ];
  const slope = payloadSPerMB(lab.steps);
  if (slope !== null && slope.s > SLOPE_SE * slope.se)
    terms.push(term('payload per MB', 's/MB', slope.s, payloadSPerMB(sim.steps)?.s ?? null));
  return terms;
}

/** The lab's step groups beside the simulator's of the same kind (and size). */
function stepTerms(lab: StepGroup[], sim: StepGroup[]): FitTerm[] {
  const simOf = new Map(sim.map((g) => [groupKey(g), g.medianS]));
  return lab.map((g) => term(groupKey(g), 's', g.medianS, simOf.get(groupKey(g)) ?? null));
}

/** The simulator's parameters of the hydrated wave: the same fleet pulling by digest, all downstream. */
export function hydratedWaveParams(
  p: CacheStampedeParams,
  seeded: { manifestBytes: number; configBytes: number },
  lab: SimParams['lab'],
): SimParams {
  const s = twinParams(p, seeded);
  s.image = { ...s.image, hydrated: true, reference: 'digest' };
  // Wave 2 is released at once by the gate (its VUs do not sleep the arrival spread).
  s.arrivalSpreadS = 0;
  s.lab = { ...lab, pollers: 0 };
  return s;
}

/**
 * Fits lab.requestS and lab.bps to the hydrated wave: its pull P50 and P90 and its payloads'
 * seconds per MB when that is resolved (fitTerms; least squares of the log ratios,
 * Nelder-Mead in log space, within the schema's bounds); lab.servers is recorded. The pulls
 * alone cannot tell a request's cost from a byte's (every VU pulls the same bytes); payloads
 * of a few hundred bytes and of megabytes in the same pulls can.
 */
export function fitServing(
  p: CacheStampedeParams,
  seeded: { manifestBytes: number; configBytes: number },
  hydrated: WaveTimes,
  servers: number,
  seed = 1,
): ServingFit {
  const lab = (x: number[]): SimParams['lab'] => ({
    enabled: true,
    requestS: clamp(Math.exp(x[0] as number), REQUEST_S),
    bps: clamp(Math.exp(x[1] as number), BPS),
    servers,
    pollers: 0,
    spool: true,
    pollS: GATE_LONG_POLL_S,
  });
  const run = (x: number[]) => simulatedPulls(hydratedWaveParams(p, seeded, lab(x)), seed);
  const objective = (x: number[]) => {
    const terms = fitTerms(hydrated, run(x));
    let f = 0;
    for (const t of terms) {
      if (t.fitted === null || t.fitted <= 0) return 1e6;
      f += Math.log(t.fitted / t.measured) ** 2;
    }
    return f / terms.length;
  };
  // Start where requests and bytes each take half of a saturated burst's P50:
  // N x (requests x requestS + bytes / bps) / servers.
  const blobs = 1 + p.image.layers.length;
  const requests = 3 + 2 * blobs;
  const bytes = seeded.manifestBytes + seeded.configBytes + p.image.layers.reduce((a, b) => a + b, 0);
  const half = (hydrated.p50 * servers) / (2 * p.vus);
  const x0 = [Math.log(clamp(half / requests, REQUEST_S)), Math.log(clamp(bytes / half, BPS))];
  const best = nelderMead(objective, x0, { step: 1, maxEvaluations: FIT_EVALUATIONS, tolerance: 1e-4 });
  const l = lab(best.x);
  const fit = run(best.x);
  const fitted = fit.pullS;
  return {
    on: 'wave 2 (hydrated, by digest)',
    requestS: l.requestS,
    bps: l.bps,
    servers,
    pollers: p.waves === 2 ? p.vus : 0,
    measured: { p50: hydrated.p50, p90: hydrated.p90 },
    fitted,
    fitError: {
      p50: fitted ? errorOf(fitted.p50, hydrated.p50) : null,
      p90: fitted ? errorOf(fitted.p90, hydrated.p90) : null,
    },
    terms: fitTerms(hydrated, fit),
    steps: stepTerms(hydrated.steps ?? [], fit.steps),
    payloadSPerMB: payloadSPerMB(hydrated.steps),
    evaluations: best.evaluations,
  };
}

/** The twin of one lab run: the cold wave, with the lab serving fitted on the hydrated wave when there is one. */
export function cacheTwin(
  p: CacheStampedeParams,
  seeded: { manifestBytes: number; configBytes: number },
  measured: CacheMeasured,
  opts: TwinOptions = {},
): CacheTwin {
  const seed = opts.seed ?? 1;
  const sp = twinParams(p, seeded);
  const serving: ServingFit | { skipped: string } = opts.hydrated
    ? fitServing(p, seeded, opts.hydrated, opts.servers ?? 2, seed)
    : { skipped: 'waves=1: no hydrated wave to fit the lab serving on (pull times are the protocol alone)' };
  if (!('skipped' in serving))
    sp.lab = {
      enabled: true,
      requestS: serving.requestS,
      bps: serving.bps,
      servers: serving.servers,
      pollers: serving.pollers,
      spool: true,
      pollS: GATE_LONG_POLL_S,
    };
  const { r, times, pullS, steps } = simulatedPulls(sp, seed);
  const ablations = sp.lab.enabled
    ? {
        protocolOnly: simulatedPulls(twinParams(p, seeded), seed).pullS,
        noGatePolls: simulatedPulls({ ...sp, lab: { ...sp.lab, pollers: 0 } }, seed).pullS,
        noSpool: simulatedPulls({ ...sp, lab: { ...sp.lab, spool: false } }, seed).pullS,
      }
    : null;
  const predicted = {
    manifestGets: r.upstream.requests.manifest,
    blobRequests: r.upstream.requests.blob,
    throttled: r.upstream.throttled,
    pullS,
    ok: times.length,
    failed: r.pulls.length - times.length,
  };
  const requests = ratioOf(
    measured.manifestGets + measured.blobRequests,
    predicted.manifestGets + predicted.blobRequests,
  );
  const p50 = measured.pullS && predicted.pullS ? ratioOf(measured.pullS.p50, predicted.pullS.p50) : null;
  const p90 = measured.pullS && predicted.pullS ? ratioOf(measured.pullS.p90, predicted.pullS.p90) : null;
  const heldOutError =
    'skipped' in serving || !measured.pullS || !predicted.pullS
      ? null
      : {
          p50: errorOf(predicted.pullS.p50, measured.pullS.p50),
          p90: errorOf(predicted.pullS.p90, measured.pullS.p90),
        };
  return {
    sets: [
      `nodes=${sp.nodes}`,
      `arrivalSpreadS=${sp.arrivalSpreadS}`,
      `image.layers=${sp.image.layers.join(',')}`,
      `image.manifestBytes=${sp.image.manifestBytes}`,
      `upstream.latencyMs=${sp.upstream.latencyMs}`,
      `upstream.bps=${sp.upstream.bps}`,
      `upstream.rateLimit.scope=${sp.upstream.rateLimit.scope}`,
      `upstream.rateLimit.perMin=${sp.upstream.rateLimit.perMin}`,
      `upstream.rateLimit.burst=${sp.upstream.rateLimit.burst}`,
      `upstream.rateLimit.retryAfterS=${sp.upstream.rateLimit.retryAfterS}`,
      'upstream.rateLimit.counts=manifest-get',
      `cache.coalescing=${sp.cache.coalescing}`,
      'cache.fronts=1',
      `cache.hydrationWorkers=${sp.cache.hydrationWorkers}`,
      'cache.dispatchS=0',
      `client.parallelLayers=${sp.client.parallelLayers}`,
      `client.maxAttempts=${sp.client.maxAttempts}`,
      `breaker.enabled=${sp.breaker.enabled}`,
      ...(sp.lab.enabled
        ? [
            'lab.enabled=true',
            `lab.requestS=${sp.lab.requestS}`,
            `lab.bps=${sp.lab.bps}`,
            `lab.servers=${sp.lab.servers}`,
            `lab.pollers=${sp.lab.pollers}`,
          ]
        : []),
      'strategies=as-set',
    ],
    predicted,
    measured,
    ratio: { requests, p50, p90 },
    within: {
      requests: inBand(requests, REQUESTS_TOLERANCE),
      p50: inBand(p50, LATENCY_TOLERANCE),
      p90: inBand(p90, LATENCY_TOLERANCE),
    },
    heldOutError,
    serving,
    ablations,
    coldSteps: sp.lab.enabled && opts.coldSteps?.length ? stepTerms(opts.coldSteps, steps) : null,
  };
}
