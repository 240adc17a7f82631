/**
 * Duplicate-work collapse on one front: `per-front` keeps one in-flight promise per key
 * (a manifest reference or a blob digest), so concurrent misses for the same content share
 * one upstream fetch; `off` runs every call (a naive proxy). A settled key is forgotten at
 * once: a later miss (e.g. after a failure) fetches again.
 */
export type CoalescingMode = 'off' | 'per-front';

export interface CoalescerStats {
  /** Calls that started an upstream fetch. */
  leaders: number;
  /** Calls that joined a fetch already in flight. */
  joined: number;
  inFlight: number;
}

export class Coalescer<T> {
  private readonly inFlight = new Map<string, Promise<T>>();
  private leaders = 0;
  private joined = 0;

  constructor(private readonly mode: () => CoalescingMode) {}

  /** `fn`'s result, shared with every concurrent call of the same key when coalescing. */
  run(key: string, fn: () => Promise<T>): Promise<T> {
    if (this.mode() === 'off') {
      this.leaders++;
      return fn();
    }
    const pending = this.inFlight.get(key);
    if (pending) {
      this.joined++;
      return pending;
    }
    this.leaders++;
    const p = fn().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  stats(): CoalescerStats {
    return { leaders: this.leaders, joined: this.joined, inFlight: this.inFlight.size };
  }
}
