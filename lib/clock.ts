/**
 * Time, injected. The lab's rate limits, byte buckets, replication pacing, health and
 * Traffic Manager monitors decide by the clock; read through a `Clock`, their logic is
 * tested on a `FakeClock` with exact assertions instead of sleeping and asserting
 * wall-clock windows (which flaked on the shared 2-core machine). Production code gets
 * `systemClock`; the lab's supervisor is where one is chosen.
 */

/** What a timer handle must offer: Node's Timeout has this, and so has the fake's. */
export interface ClockTimer {
  unref(): unknown;
}

export interface Clock {
  /** Wall-clock ms since the epoch (Date.now()): for timestamps people and other processes read. */
  now(): number;
  /** Monotonic ms (performance.now()): for intervals and rates; never steps back. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout | undefined),
};

/** Resolves after `ms` of `clock` time; rejects with the signal's reason when aborted first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimeout(t);
      reject(signal?.reason);
    };
    const t = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface FakeTimer extends ClockTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told. Timers fire in time order (ties in the order they were
 * set), each with now() at its own due time, so a timer set by a firing timer within the
 * advanced span fires in the same advance. now() and monotonic() move together (the
 * epoch offset is fixed at construction).
 */
export class FakeClock implements Clock {
  private ms: number;
  private seq = 0;
  private readonly timers = new Set<FakeTimer>();

  constructor(
    private readonly epochMs = Date.UTC(2026, 0, 1),
    startMs = 0,
  ) {
    this.ms = startMs;
  }

  now(): number {
    return this.epochMs + this.ms;
  }

  monotonic(): number {
    return this.ms;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    // Node's setTimeout: a delay below 1 (or not a number) is 1 ms.
    const delay = Number.isFinite(ms) && ms >= 1 ? ms : 1;
    const t: FakeTimer = { at: this.ms + delay, seq: this.seq++, fn, unref: () => t };
    this.timers.add(t);
    return t;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer) this.timers.delete(timer as FakeTimer);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  /** Due time (monotonic ms) of the next timer, or undefined. */
  nextAt(): number | undefined {
    return this.next()?.at;
  }

  /** Moves time forward by `ms`, firing every timer due by then, in order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance by a non-negative ms, got ${ms}`);
    const target = this.ms + ms;
    for (let t = this.next(); t && t.at <= target; t = this.next()) {
      this.timers.delete(t);
      this.ms = t.at;
      t.fn();
    }
    this.ms = target;
  }

  /**
   * advance() for async logic: after each timer fires, pending promise callbacks run (a
   * macrotask turn) before the next, so code awaiting between timers sees each step.
   */
  async advanceAsync(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advance by a non-negative ms, got ${ms}`);
    const target = this.ms + ms;
    await settle();
    for (let t = this.next(); t && t.at <= target; t = this.next()) {
      this.timers.delete(t);
      this.ms = t.at;
      t.fn();
      await settle();
    }
    this.ms = target;
    await settle();
  }

  private next(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers)
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }
}

/** Lets every pending promise callback run: one macrotask turn (setImmediate runs after them). */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
