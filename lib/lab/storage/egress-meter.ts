/**
 * Egress in 100 ms slots; the peak is the largest byte count over any 1 s sliding window
 * (ten consecutive slots), which is what "peak egress" means for a storage account.
 *
 * A lab outlives the runs against it, so besides the lifetime peak the meter keeps, per
 * wall-clock second, the largest window that began in it (a ring of HISTORY_S seconds): a
 * run asks for the peak since its own start and does not inherit an earlier run's.
 */
const SLOT_MS = 100;
/** Slots per window. */
const SLOTS = 10;
/** Ring length: a full window plus the slot being filled. */
const RING = SLOTS + 1;
/** Seconds of per-second peaks kept: six hours, 170 KiB per backend. */
export const HISTORY_S = 6 * 3600;

/** Epoch milliseconds that never go backwards (performance.now() from the time origin). */
const monotonicEpochMs = () => performance.timeOrigin + performance.now();

export class EgressMeter {
  private readonly slots = new Float64Array(RING);
  private cur: number;
  private peak = 0;
  /** Per second: the largest 1 s window that began in it, and which second the entry holds. */
  private readonly secondPeak = new Float64Array(HISTORY_S);
  private readonly secondOf = new Float64Array(HISTORY_S).fill(-1);
  total = 0;

  constructor(private readonly nowMs: () => number = monotonicEpochMs) {
    this.cur = Math.floor(nowMs() / SLOT_MS);
  }

  add(n: number): void {
    this.advance();
    this.slots[this.cur % RING]! += n;
    this.total += n;
  }

  /** Bytes/s over the last full second. */
  lastSecondBps(): number {
    this.advance();
    let sum = 0;
    for (let i = 1; i <= SLOTS; i++) sum += this.slots[(this.cur - i) % RING]!;
    return sum;
  }

  peakBps(): number {
    this.advance();
    return this.peak;
  }

  /**
   * The peak over the windows that began at or after `sinceMs` (epoch ms), rounded up to
   * the second: no byte from before sinceMs counts, a window in its first second may not.
   * Older than the history, it is the lifetime peak: an upper bound, never an undercount.
   */
  peakSinceBps(sinceMs: number): number {
    this.advance();
    const from = Math.ceil(sinceMs / 1000);
    const now = Math.floor((this.cur * SLOT_MS) / 1000);
    if (now - from >= HISTORY_S) return this.peak;
    let max = 0;
    for (let s = Math.max(from, now - HISTORY_S + 1); s <= now; s++) {
      const i = s % HISTORY_S;
      if (this.secondOf[i] === s && this.secondPeak[i]! > max) max = this.secondPeak[i]!;
    }
    return max;
  }

  private advance(): void {
    const now = Math.floor(this.nowMs() / SLOT_MS);
    if (now - this.cur > SLOTS) {
      // After a quiet gap only the SLOTS windows that still hold the last bytes matter.
      for (let i = 0; i < SLOTS; i++) this.step();
      this.slots.fill(0);
      this.cur = now;
      return;
    }
    while (this.cur < now) this.step();
  }

  private step(): void {
    this.closeWindow();
    this.cur++;
    this.slots[this.cur % RING] = 0;
  }

  /** The window ending with the current slot is complete: it is a peak candidate. */
  private closeWindow(): void {
    let sum = 0;
    for (let i = 0; i < SLOTS; i++) sum += this.slots[(this.cur - i) % RING]!;
    if (sum > this.peak) this.peak = sum;
    if (sum === 0) return;
    const s = Math.floor(((this.cur - SLOTS + 1) * SLOT_MS) / 1000);
    const i = s % HISTORY_S;
    if (this.secondOf[i] !== s) {
      this.secondOf[i] = s;
      this.secondPeak[i] = 0;
    }
    if (sum > this.secondPeak[i]!) this.secondPeak[i] = sum;
  }
}
