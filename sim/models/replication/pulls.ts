/**
 * Pullers against a replication timeline. A pull here is the manifest GET by tag against
 * one replica (the step that can fail): the lab's replicator publishes blobs, then the
 * manifest by digest, then the tag, so a replica that answers the tag already holds every
 * blob and a pull from a regional replica never meets BLOB_UNKNOWN from replication lag
 * (it comes only from scatter, see scatter.ts). Blob download time is the same for every
 * strategy and is left out: "success" is the instant the tag resolves.
 */

import type { Rng } from '../../kernel/rng';
import { backoffDelay } from '../backoff';
import type { Mode, ReplicationParams, Strategy } from './params';
import { ackTime, type Timeline, type Write } from './timeline';

export type Resolved = 'ok' | 'stale' | 'ghost' | 'MANIFEST_UNKNOWN';

/**
 * What a tag GET at `region` returns at time t for one push cohort.
 * race: the push's tag, once landed. overwrite: d2 once landed, d1 (stale) before it.
 * delete: the content until the delete lands there ('ghost'), 404 after.
 */
export function resolveAt(mode: Mode, first: Write, watched: Write, region: string, t: number): Resolved {
  const l1 = first.land[region] ?? Number.POSITIVE_INFINITY;
  if (mode === 'race') return t >= l1 ? 'ok' : 'MANIFEST_UNKNOWN';
  const l2 = watched.land[region] ?? Number.POSITIVE_INFINITY;
  if (mode === 'overwrite') return t >= l2 ? 'ok' : t >= l1 ? 'stale' : 'MANIFEST_UNKNOWN';
  return t >= l2 ? 'MANIFEST_UNKNOWN' : t >= l1 ? 'ghost' : 'MANIFEST_UNKNOWN';
}

export interface PullOutcome {
  /** The answer of the pull that ended the puller's attempts. */
  result: Resolved;
  /** Push ack -> that answer (s); null if the puller gave up on errors. */
  toSuccessS: number | null;
  /** First intended pull -> that answer (s): the latency the puller sees. */
  latencyS: number | null;
  /** Failed attempts (errors) before the end. */
  errors: number;
  attempts: number;
}

export interface PullContext {
  p: ReplicationParams;
  timeline: Timeline;
  rng: Rng;
}

/**
 * One puller with one strategy. Success is any answer with content ('ok', 'stale',
 * 'ghost'); MANIFEST_UNKNOWN is an error the strategies react to. The proxy design (a)
 * turns a local MANIFEST_UNKNOWN into the home replica's answer, crossRegionS later.
 */
export function pullOnce(
  ctx: PullContext,
  strategy: Strategy,
  push: number,
  region: string,
  startDelayS: number,
): PullOutcome {
  const { p, timeline } = ctx;
  const first = timeline.first[push] as Write;
  const watched = timeline.watched[push] as Write;
  const home = p.regions.home;
  const ack = ackTime(watched, p.consistency.ackReplicas);
  const t0 = ack + startDelayS;
  const x = p.pullers.crossRegionS;
  // One GET at time t from `where`: its answer and when the answer arrives.
  const get = (where: string, t: number): { res: Resolved; at: number } => {
    const res = resolveAt(p.mode, first, watched, where, t);
    if (where !== home && res === 'MANIFEST_UNKNOWN' && p.consistency.proxyPull && p.mode !== 'delete')
      return { res: resolveAt(p.mode, first, watched, home, t + x), at: t + x };
    return { res, at: where === home && region !== home ? t + x : t };
  };
  const end = (g: { res: Resolved; at: number }, errors: number, attempts: number): PullOutcome =>
    g.res === 'MANIFEST_UNKNOWN'
      ? { result: g.res, toSuccessS: null, latencyS: null, errors: errors + 1, attempts }
      : { result: g.res, toSuccessS: g.at - ack, latencyS: g.at - t0, errors, attempts };

  switch (strategy) {
    case 'none':
      return end(get(region, t0), 0, 1);
    case 'fixed-sleep':
      return end(get(region, t0 + p.fixedSleep.sleepS), 0, 1);
    case 'pin-home':
      return end(get(home, t0), 0, 1);
    case 'wait-webhook': {
      // Subscribed since the push: pull when this region's event for the watched write arrives.
      const event =
        (watched.land[region] ?? Number.POSITIVE_INFINITY) + (region === home ? 0 : p.webhook.delayS);
      return end(get(region, Math.max(t0, event)), 0, 1);
    }
    case 'retry': {
      let t = t0;
      let errors = 0;
      const r = p.retry;
      for (let attempt = 1; ; attempt++) {
        const g = get(region, t);
        if (g.res !== 'MANIFEST_UNKNOWN' || attempt >= r.maxAttempts) return end(g, errors, attempt);
        errors++;
        t = g.at + backoffDelay(attempt - 1, r.baseS, r.capS, r.jitter, ctx.rng);
      }
    }
  }
}
