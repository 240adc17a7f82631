/**
 * Egress in 100 ms slots; the peak is the largest byte count over any 1 s sliding window
 * (ten consecutive slots), which is what "peak egress" means for a storage account.
 *
 * A lab outlives the runs against it, so besides the lifetime peak the meter remembers
 * recent windows by the slot they began in: one by one for the last FINE_S seconds, and
 * the largest per wall-clock second for HISTORY_S. A run asks for the peak since its own
 * start and neither inherits an earlier run's peak nor loses a burst in its first second.
 * Slots are on the wall clock (Date.now()), the clock the run that asks reads too.
 */
const SLOT_MS = 100;
/** Slots per window. */
const SLOTS = 10;
/** Ring length: a full window plus the slot being filled. */
const RING = SLOTS + 1;
const SLOTS_PER_S = 1000 / SLOT_MS;
/** Seconds of windows kept one by one (the start of any run shorter than this is exact): 140 KiB. */
export const FINE_S = 15 * 60;
/** Seconds of per-second peaks kept: six hours, 340 KiB per backend. */
export const HISTORY_S = 6 * 3600;
const FINE = FINE_S * SLOTS_PER_S;

export class EgressMeter {
  private readonly slots = new Float64Array(RING);
  private cur: number;
  private peak = 0;
  /** Per window start slot (ring): its bytes, and which slot the entry holds. */
  private readonly windowSum = new Float64Array(FINE);
  private readonly windowOf = new Float64Array(FINE).fill(-1);
  /** Per second (ring): the largest window that began in it, and which second the entry holds. */
  private readonly secondPeak = new Float64Array(HISTORY_S);
  private readonly secondOf = new Float64Array(HISTORY_S).fill(-1);
  total = 0;

  constructor(private readonly nowMs: () => number = Date.now) {
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
    return Math.max(this.peak, this.openPeak(this.cur - SLOTS + 1));
  }

  /**
   * The windows still open (they end at the current slot, which is filling) that begin at
   * or after slot `from`: bytes a run moved in its last second are not closed yet when it
   * asks, right after it ends.
   */
  private openPeak(from: number): number {
    let max = 0;
    let sum = 0;
    for (let w = this.cur; w >= Math.max(from, this.cur - SLOTS + 1); w--) {
      sum += this.slots[w % RING]!;
      if (sum > max) max = sum;
    }
    return max;
  }

  /**
   * The peak over the windows that began in or after the slot holding `sinceMs` (epoch ms):
   * that slot counts whole, because a small run can begin and end inside one 100 ms slot,
   * so bytes from up to a slot before sinceMs may count and none after it is lost. Where
   * the windows of sinceMs's own second have left the fine history, that whole second
   * counts; where sinceMs is older than the whole history, the lifetime peak is returned:
   * upper bounds, never an undercount.
   */
  peakSinceBps(sinceMs: number): number {
    this.advance();
    const first = Math.floor(sinceMs / SLOT_MS);
    if (this.cur - first >= HISTORY_S * SLOTS_PER_S) return this.peak;
    const firstWhole = Math.ceil(first / SLOTS_PER_S);
    let max = 0;
    if (this.cur - first < FINE) {
      for (let w = first; w < Math.min(firstWhole * SLOTS_PER_S, this.cur + 1); w++) {
        const i = w % FINE;
        if (this.windowOf[i] === w && this.windowSum[i]! > max) max = this.windowSum[i]!;
      }
    } else if (first < firstWhole * SLOTS_PER_S) {
      max = this.secondPeakOf(firstWhole - 1);
    }
    const now = Math.floor(this.cur / SLOTS_PER_S);
    for (let s = firstWhole; s <= now; s++) max = Math.max(max, this.secondPeakOf(s));
    return Math.max(max, this.openPeak(first));
  }

  private secondPeakOf(s: number): number {
    const i = s % HISTORY_S;
    return this.secondOf[i] === s ? this.secondPeak[i]! : 0;
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

  /** The window ending with the current slot is complete: it is a peak candidate (and history). */
  private closeWindow(): void {
    let sum = 0;
    for (let i = 0; i < SLOTS; i++) sum += this.slots[(this.cur - i) % RING]!;
    if (sum > this.peak) this.peak = sum;
    if (sum === 0) return;
    const w = this.cur - SLOTS + 1;
    const wi = w % FINE;
    this.windowOf[wi] = w;
    this.windowSum[wi] = sum;
    const s = Math.floor(w / SLOTS_PER_S);
    const si = s % HISTORY_S;
    if (this.secondOf[si] !== s) {
      this.secondOf[si] = s;
      this.secondPeak[si] = 0;
    }
    if (sum > this.secondPeak[si]!) this.secondPeak[si] = sum;
  }
}
