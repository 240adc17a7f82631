/**
 * The replication timeline of one run: the pusher's writes at the home replica (pushes,
 * re-pushes, deletes) and, per target replica, when each lands (ReplicaLink). Pulls never
 * change it (a pull only reads what a replica holds), so every strategy and offset is
 * evaluated against the same timeline: the comparison is paired, not a race of seeds.
 */
import { Env } from '../../kernel/env';
import type { Rng } from '../../kernel/rng';
import type { ReplicationParams } from './params';
import { ReplicaLink } from './replica-link';

export interface Write {
  /** Index of the push (cohort) this write belongs to. */
  push: number;
  op: 'push' | 'delete';
  /** Second push of an overwrite pair (same tag, new digest). */
  second: boolean;
  /** When the pusher started it (upload start). */
  start: number;
  /** When the home replica acknowledged it (upload end): the replication event time. */
  homeAt: number;
  /** Landing time per region (home: homeAt). */
  land: Record<string, number>;
}

export interface Timeline {
  writes: Write[];
  /** Per push: the write pullers race (race: the push; overwrite: the re-push; delete: the delete). */
  watched: Write[];
  /** Per push: the first write of its key (overwrite: d1; delete: the push; race: the push). */
  first: Write[];
  targets: string[];
  maxBacklog: Record<string, number>;
  events: number;
}

export function buildTimeline(p: ReplicationParams, rng: Rng): Timeline {
  const env = new Env();
  const arrivalRng = rng.fork(11);
  const jitterRng = rng.fork(12);
  // Its own stream: a twin given a measured distribution leaves the uniform jitter's draws alone.
  const extraRng = rng.fork(13);
  const extra = empiricalDraw(p.replication.extraLagQuantilesS);
  const home = p.regions.home;
  const targets = p.regions.names.filter((r) => r !== home);
  const r = p.replication;
  const links = new Map(targets.map((t) => [t, new ReplicaLink(env, r.bandwidthBps, r.concurrency)]));
  const gap = 60 / p.pushes.perMinute;
  const uploadS = p.pushes.uploadBps > 0 ? p.image.bytes / p.pushes.uploadBps : 0;
  const writes: Write[] = [];
  const watched: Write[] = [];
  const first: Write[] = [];
  // The lab numbers copies when the home's notification arrives: FIFO order is event order.
  let seq = 0;

  const write = (push: number, op: Write['op'], second: boolean, wanted: number): Write => {
    // Pushes are independent pipelines (CI runners), so a slow upload does not delay the next.
    const start = wanted;
    const homeAt = start + (op === 'push' ? uploadS : 0);
    const w: Write = { push, op, second, start, homeAt, land: { [home]: homeAt } };
    writes.push(w);
    const key = `app:v${push}`;
    env.at(homeAt, () => {
      const mySeq = ++seq;
      // Fan-out at the home's notification, as the lab's replicator does on the registry event.
      for (const t of targets) {
        const jitter = (r.jitterS > 0 ? jitterRng.uniform(0, r.jitterS) : 0) + (extra ? extra(extraRng) : 0);
        (links.get(t) as ReplicaLink).enqueue({
          seq: mySeq,
          key,
          due: homeAt + r.baseLagS + jitter,
          bytes: op === 'push' ? p.image.bytes : 0,
          onLand: (t2) => {
            w.land[t] = t2;
          },
        });
      }
    });
    return w;
  };

  let t = 0;
  for (let i = 0; i < p.pushes.count; i++) {
    const w1 = write(i, 'push', false, t);
    first.push(w1);
    if (p.mode === 'race') watched.push(w1);
    else if (p.mode === 'overwrite') watched.push(write(i, 'push', true, w1.homeAt + p.overwrite.gapS));
    else watched.push(write(i, 'delete', false, w1.homeAt + p.delete.gapS));
    t += p.pushes.arrival === 'poisson' ? arrivalRng.exponential(gap) : gap;
  }
  env.run();
  const maxBacklog: Record<string, number> = {};
  for (const [name, link] of links) maxBacklog[name] = link.maxBacklog;
  return { writes, watched, first, targets, maxBacklog, events: env.processed };
}

/**
 * Inverse-transform sampling of a distribution given by its quantiles at evenly spaced
 * probabilities 0, 1/(n-1), ..., 1: u ~ U[0,1) falls between two of them and the draw is
 * linear between their values (so the CDF is piecewise linear through the given points).
 * Null for fewer than two quantiles (no extra lag).
 */
export function empiricalDraw(q: readonly number[]): ((rng: Rng) => number) | null {
  if (q.length < 2) return null;
  const steps = q.length - 1;
  return (rng) => {
    const x = rng.uniform(0, 1) * steps;
    const i = Math.min(steps - 1, Math.floor(x));
    const lo = q[i] as number;
    return lo + ((q[i + 1] as number) - lo) * (x - i);
  };
}

/** P(extra > x) for the distribution empiricalDraw samples (its CDF is linear between quantiles). */
export function empiricalExceeds(q: readonly number[], x: number): number {
  if (q.length < 2) return x < 0 ? 1 : 0;
  const steps = q.length - 1;
  if (x < (q[0] as number)) return 1;
  if (x >= (q[steps] as number)) return 0;
  // the last quantile at or below x, then linear within its interval
  let i = 0;
  while (i < steps - 1 && (q[i + 1] as number) <= x) i++;
  const lo = q[i] as number;
  const hi = q[i + 1] as number;
  const within = hi > lo ? (x - lo) / (hi - lo) : 1;
  return 1 - (i + within) / steps;
}

/**
 * The acknowledgement of a push under design (b): once `k` replicas hold it (the home
 * counts), i.e. the k-th earliest landing; k = 1 is the home's own ack (ACR today).
 */
export function ackTime(w: Write, k: number): number {
  if (w.op !== 'push' || k <= 1) return w.homeAt;
  const lands = Object.values(w.land).sort((a, b) => a - b);
  return lands[Math.min(k, lands.length) - 1] as number;
}
