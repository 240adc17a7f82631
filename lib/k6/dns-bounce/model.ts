/**
 * The lab run's twin in the scatter model (sim/models/replication/scatter.ts): the lab's
 * flap (interval I, regions n), the push's sub-request count (k = 2 x blobs + 1) and its
 * measured span T, and the client's resolver as k6 was set (connections not reused and
 * dns.ttl 0: re-resolve every request; reused: one connection, resolved when dialled; a
 * dns.ttl: a cache of that long). Nothing is fitted to the scatter counts: every input is a
 * setting or a measurement of the same run (the spread of T is estimated from the spans of
 * its whole pushes alone).
 */

import { createRng } from '../../../sim/kernel/rng';
import {
  type Mitigation,
  type ReplicationParams,
  replicationSchema,
} from '../../../sim/models/replication/params';
import { simulateScatter } from '../../../sim/models/replication/scatter';
import { fitSelectedLognormal } from '../../../sim/models/replication/span-lognormal';
import { defaults } from '../../config/schema';
import type { DnsBounceParams } from './params';

export interface ModelShare {
  mitigation: string;
  /** The model's scattered share (simulated pushes, uniform start phase). */
  modeled: number;
  /** The closed form over the measured spans, mean of min(1, T_i / I), where one exists. */
  closedForm: number | null;
}

export interface BounceTwin {
  resolver: 'per-request' | 'per-connection' | 'ttl';
  ttlS: number;
  flapIntervalS: number;
  flapRegions: number;
  /** Sub-requests per push attempt the model counts: POST and PUT per blob, then the manifest. */
  subRequests: number;
  /** T given to the model (spansForModel), s: the mean when pushSigma > 0. */
  pushS: number;
  /** The spread of T the model draws from (log-sd; 0: every push takes pushS). */
  pushSigma: number;
  /** How many measured spans T is drawn from. */
  spans: number;
  shares: ModelShare[];
}

/** k6's dns.ttl text ('0', '250ms', '5s', '5m', '1h', 'inf') in seconds. */
export function k6TtlS(ttl: string): number {
  if (ttl === 'inf') return Number.POSITIVE_INFINITY;
  const m = /^(\d+)(ms|s|m|h)?$/.exec(ttl);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  // k6 reads a bare number as milliseconds.
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? 'ms'] as number;
  return n * unit;
}

export function resolverOf(p: DnsBounceParams): { resolver: BounceTwin['resolver']; ttlS: number } {
  if (p.connectionReuse) return { resolver: 'per-connection', ttlS: 0 };
  const ttlS = k6TtlS(p.dns.ttl);
  return ttlS === 0 ? { resolver: 'per-request', ttlS: 0 } : { resolver: 'ttl', ttlS };
}

/**
 * The T the model is given, from the spans (ms) of whole attempts. `none`'s own: a client
 * that re-resolves every request also pays a lookup per request, so its pushes are slower
 * than pinned ones (lab, 2026-12-05: 1.42 s against 1.19-1.26 s). Only its whole attempts
 * have a full span, and those are selected: under per-request resolution a push of span T
 * goes through with probability 1 - T / I, so each is weighted 1 / (1 - T / I) (inverse
 * probability weighting, Horvitz-Thompson) to stand for the pushes like it that scattered.
 * Other resolvers, or no `none` in the run: the pinned mitigations' spans (no selection).
 */
export function spansForModel(
  spans: Record<string, number[]>,
  resolver: BounceTwin['resolver'],
  I: number,
): { ts: number[]; weights: number[] } {
  const none = (spans.none ?? []).map((ms) => ms / 1000);
  if (resolver === 'per-request' && none.length) {
    // A whole attempt spans less than I (else it would have met a flip): the cap only guards rounding.
    const weights = none.map((t) => 1 / (1 - Math.min(t, 0.99 * I) / I));
    return { ts: none, weights };
  }
  const pinned = [...(spans.regional ?? []), ...(spans['dns-pin'] ?? [])].map((ms) => ms / 1000);
  const ts = pinned.length
    ? pinned
    : Object.values(spans)
        .flat()
        .map((ms) => ms / 1000);
  return { ts, weights: ts.map(() => 1) };
}

/** Fewer whole spans than this: no spread is fitted (the reweighted mean alone). */
export const MIN_FIT_SPANS = 20;

/** The model's shares for the run's mitigations, given the spans (ms) of whole attempts per mitigation. */
export function bounceTwin(
  p: DnsBounceParams,
  flapRegions: number,
  spans: Record<string, number[]>,
  seed = 1,
  pushes = 20_000,
): BounceTwin {
  const { resolver, ttlS } = resolverOf(p);
  const I = p.flap.intervalS;
  const { ts, weights } = spansForModel(spans, resolver, I);
  const wsum = weights.reduce((a, b) => a + b, 0);
  const wmean = (f: (t: number) => number) =>
    wsum ? ts.reduce((a, t, i) => a + f(t) * (weights[i] as number), 0) / wsum : 0;
  // Enough whole `none` spans under per-request resolution: fit their distribution with the
  // selection it went through (span-lognormal.ts), which also carries the pushes longer
  // than I that never go through whole. Reweighting the seen spans alone misses those: under
  // load (spans near I) the lab scattered 50.2 % against 45.2 % modeled that way (ci14).
  const fit =
    resolver === 'per-request' && (spans.none?.length ?? 0) >= MIN_FIT_SPANS
      ? fitSelectedLognormal(ts, I)
      : null;
  const pushS = fit ? fit.meanS : wmean((t) => t);
  const pushSigma = fit ? fit.sigma : 0;
  const blobs = p.layers + 1;
  const base = defaults(replicationSchema) as ReplicationParams;
  const params: ReplicationParams = {
    ...base,
    scatter: {
      ...base.scatter,
      pushes,
      layers: blobs,
      pushS,
      pushSigma,
      flapIntervalS: I,
      flapRegions,
      resolver,
      ttlS: Number.isFinite(ttlS) ? ttlS : 1e9,
      connections: 1,
      retries: p.retries,
      mitigations: [...p.mitigations],
    },
  };
  const sim = simulateScatter(params, createRng(seed));
  // Per-request resolution: the closed form over the fitted spread, or over each measured T
  // (reweighted) when there are too few spans to fit one.
  const perPush = fit ? fit.scatterShare : wmean((t) => Math.min(1, t / I));
  const shares = sim.map((r) => ({
    mitigation: r.mitigation as Mitigation,
    modeled: r.scatteredShare,
    closedForm:
      r.closedForm === null
        ? null
        : r.mitigation === 'none' && resolver === 'per-request'
          ? perPush
          : r.closedForm,
  }));
  return {
    resolver,
    ttlS,
    flapIntervalS: I,
    flapRegions,
    subRequests: 2 * blobs + 1,
    pushS,
    pushSigma,
    spans: ts.length,
    shares,
  };
}
