/**
 * DNS bouncing during a push: the global name alternates between `flapRegions` replicas,
 * each answered for `flapIntervalS` (I) in turn, as the lab's `dns-flap` fault does
 * (lib/lab/dns/routing.ts: region = floor((t - since) / I) mod n, TTL 0). A push is
 * k = 2L + 1 sub-requests evenly spaced over T seconds: for each layer an upload POST and
 * its closing PUT, then the manifest PUT. Where each goes depends on the client's resolver:
 * - per-request: every sub-request resolves (TTL 0, k6 with dns.ttl=0);
 * - ttl: a client cache of ttlS, cold when the push starts;
 * - per-connection: `connections` keep-alive connections used round robin, each resolved
 *   when opened.
 * A push scatters when its sub-requests reach more than one replica. Replicas only copy
 * a blob when a manifest that references it is pushed (the lab's replicator is driven by
 * manifest events), so every scatter fails the push: an upload closed on another replica
 * than it was opened on is BLOB_UPLOAD_UNKNOWN; a manifest PUT on a replica lacking one of
 * its blobs is MANIFEST_BLOB_UNKNOWN. The push stops at its first error.
 *
 * Mitigations: none (the resolver as configured), regional (every sub-request to the home
 * regional name: one replica by construction), dns-pin (resolve once at the push start
 * and keep it for the push), retry-push (redo the whole push at once after a failed
 * attempt, up to `retries` times; counted scattered only if the last attempt fails).
 *
 * Closed form (per-request resolver, strict alternation, push start uniform over the
 * cycle): a push scatters iff an alternation boundary falls in (start, start + T]; the
 * time to the next boundary is uniform on [0, I), so P(scatter) = min(1, T / I) for any
 * k >= 2 and any number of regions (consecutive answers always differ). With the full
 * cycle P = nI: min(1, nT / P); two regions: min(1, 2T / P).
 */
import type { Rng } from '../../kernel/rng';
import type { Mitigation, ReplicationParams } from './params';

import { muOfMean, wholeProbability } from './span-lognormal';

export type ScatterCode = 'BLOB_UPLOAD_UNKNOWN' | 'MANIFEST_BLOB_UNKNOWN';

export interface ScatterResult {
  mitigation: Mitigation;
  pushes: number;
  scattered: number;
  scatteredShare: number;
  /** Attempts per push (retry-push > 1). */
  attemptsMean: number;
  byCode: Record<ScatterCode, number>;
  /** The closed form where one exists for this resolver and mitigation, else null. */
  closedForm: number | null;
}

type ScatterParams = ReplicationParams['scatter'];

/** Sub-request times from the push start: k evenly spaced over T. */
export function subRequestTimes(s: ScatterParams): number[] {
  const k = 2 * s.layers + 1;
  return Array.from({ length: k }, (_, j) => (k > 1 ? (j * s.pushS) / (k - 1) : 0));
}

/** The replica index the flapping global name answers at absolute time t. */
export function flapAnswer(s: ScatterParams, t: number): number {
  return Math.floor(t / s.flapIntervalS) % s.flapRegions;
}

/** Replica per sub-request of one attempt starting at absolute time `start`. */
export function route(
  s: ScatterParams,
  mitigation: Mitigation,
  start: number,
  times: readonly number[],
): number[] {
  if (mitigation === 'regional') return times.map(() => -1);
  if (mitigation === 'dns-pin') {
    const pinned = flapAnswer(s, start);
    return times.map(() => pinned);
  }
  switch (s.resolver) {
    case 'per-request':
      return times.map((t) => flapAnswer(s, start + t));
    case 'ttl': {
      let cached = -1;
      let expires = Number.NEGATIVE_INFINITY;
      return times.map((t) => {
        const now = start + t;
        if (now >= expires) {
          cached = flapAnswer(s, now);
          expires = now + s.ttlS;
        }
        return cached;
      });
    }
    case 'per-connection': {
      const conn: number[] = [];
      return times.map((t, j) => {
        const c = j % s.connections;
        if (conn[c] === undefined) conn[c] = flapAnswer(s, start + t);
        return conn[c] as number;
      });
    }
  }
}

/** The first error of an attempt (and the index of the sub-request that met it), or null. */
export function firstError(where: readonly number[]): { code: ScatterCode; at: number } | null {
  const layers = (where.length - 1) / 2;
  for (let l = 0; l < layers; l++)
    if (where[2 * l] !== where[2 * l + 1]) return { code: 'BLOB_UPLOAD_UNKNOWN', at: 2 * l + 1 };
  const manifest = where[where.length - 1];
  for (let l = 0; l < layers; l++)
    if (where[2 * l + 1] !== manifest) return { code: 'MANIFEST_BLOB_UNKNOWN', at: where.length - 1 };
  return null;
}

export function closedForm(s: ScatterParams, mitigation: Mitigation): number | null {
  if (mitigation === 'regional' || mitigation === 'dns-pin') return 0;
  if (mitigation !== 'none') return null;
  const k = 2 * s.layers + 1;
  // A span of fraction f of T, with T lognormal: E[min(1, f T / I)] (span-lognormal.ts).
  const spread = (f: number) =>
    f <= 0 ? 0 : 1 - wholeProbability(muOfMean(s.pushS * f, s.pushSigma), s.pushSigma, s.flapIntervalS);
  const span = (n: number) => Math.min(1, n / s.flapIntervalS);
  if (s.pushSigma > 0) {
    if (s.resolver === 'per-request' || (s.resolver === 'ttl' && s.ttlS === 0)) return spread(1);
    if (s.resolver === 'per-connection') return spread((Math.min(s.connections, k) - 1) / (k - 1));
    return null;
  }
  if (s.resolver === 'per-request' || (s.resolver === 'ttl' && s.ttlS === 0)) return span(s.pushS);
  if (s.resolver === 'ttl' && s.ttlS >= s.pushS) return 0;
  if (s.resolver === 'per-connection') {
    const c = Math.min(s.connections, k);
    return span(((c - 1) * s.pushS) / (k - 1));
  }
  return null;
}

export function simulateScatter(p: ReplicationParams, rng: Rng): ScatterResult[] {
  const s = p.scatter;
  const times = subRequestTimes(s);
  const cycle = s.flapIntervalS * s.flapRegions;
  // Paired comparison: every mitigation sees the same push start phases.
  const starts = Array.from({ length: s.pushes }, () => rng.uniform(0, cycle));
  // Each push's span scale (mean 1), drawn only when spans vary, so fixed-T runs keep their draws.
  const sigma = s.pushSigma;
  const scales = starts.map(() => (sigma > 0 ? Math.exp(rng.normal(-(sigma * sigma) / 2, sigma)) : 1));
  return (s.mitigations as Mitigation[]).map((mitigation) => {
    const byCode: Record<ScatterCode, number> = { BLOB_UPLOAD_UNKNOWN: 0, MANIFEST_BLOB_UNKNOWN: 0 };
    let scattered = 0;
    let attempts = 0;
    const maxAttempts = mitigation === 'retry-push' ? 1 + s.retries : 1;
    for (const [i, start0] of starts.entries()) {
      let start = start0;
      const scale = scales[i] as number;
      const own = scale === 1 ? times : times.map((t) => t * scale);
      for (let a = 1; a <= maxAttempts; a++) {
        attempts++;
        const err = firstError(route(s, mitigation, start, own));
        if (!err) break;
        byCode[err.code]++;
        if (a === maxAttempts) scattered++;
        // The retry starts as soon as the failing sub-request has been answered.
        start += own[err.at] as number;
      }
    }
    const n = s.pushes;
    return {
      mitigation,
      pushes: n,
      scattered,
      scatteredShare: n ? scattered / n : 0,
      attemptsMean: n ? attempts / n : 0,
      byCode,
      closedForm: closedForm(s, mitigation),
    };
  });
}
