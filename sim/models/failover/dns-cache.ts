/**
 * The chain of DNS caches between a client and Traffic Manager: the client's own cache,
 * the node-local cache shared by a node's clients, the cluster DNS cache shared by all.
 * Entries are filled lazily, when a query finds nothing valid, so each cache's
 * last-resolve moment is set by whoever asked first after it expired. What a cache hands
 * downstream carries the absolute moment its record expires, so a downstream cache that
 * honours TTLs counts down the same clock (as real resolvers pass on remaining TTLs).
 * A cache's first fill stands for one made at a random moment before the run started
 * (its remaining life uniform in [0, its TTL)), so caches do not all expire in step; or,
 * with `firstExpiryS`, is held until that moment (the phase of a measured run's cache).
 */
import type { CacheLayerSpec } from './bounds';

export interface Answer {
  regions: string[];
  /** Absolute time the record stops being valid. */
  expiresAt: number;
}

export type Upstream = (now: number) => Answer;

export class CacheLayer {
  private readonly entries = new Map<number, Answer>();
  /** Fetches from upstream (the cost of this layer's misses). */
  misses = 0;

  constructor(
    private readonly spec: CacheLayerSpec,
    /** Uniform [0, 1) draws for the age of first fills; none: fresh at the first query. */
    private readonly age?: () => number,
  ) {}

  /** The answer instance `key` of this layer gives at `now`, asking `upstream` on a miss. */
  query(key: number, now: number, upstream: Upstream): Answer {
    if (this.spec.mode === 'none') return upstream(now);
    const held = this.entries.get(key);
    if (held && now < held.expiresAt) return held;
    this.misses++;
    const up = upstream(now);
    const until =
      this.spec.mode === 'honour'
        ? up.expiresAt
        : this.spec.mode === 'cap'
          ? Math.min(up.expiresAt, now + this.spec.ttlS)
          : now + this.spec.ttlS;
    const pinned = held === undefined && (this.spec.firstExpiryS ?? 0) > now;
    const first = held === undefined && this.age !== undefined && !pinned;
    const expiresAt = pinned
      ? (this.spec.firstExpiryS as number)
      : first
        ? now + this.age!() * (until - now)
        : until;
    const stored = { regions: up.regions, expiresAt };
    this.entries.set(key, stored);
    return stored;
  }
}
