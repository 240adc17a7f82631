/**
 * Egress in 100 ms slots; the peak is the largest byte count over any 1 s sliding window
 * (ten consecutive slots), which is what "peak egress" means for a storage account.
 */
const SLOT_MS = 100;
const SLOTS = 10;

export class EgressMeter {
  private readonly slots = new Float64Array(SLOTS);
  private cur = Math.floor(performance.now() / SLOT_MS);
  private peak = 0;
  total = 0;

  add(n: number): void {
    this.advance();
    this.slots[this.cur % SLOTS]! += n;
    this.total += n;
  }

  /** Bytes/s over the last full second. */
  lastSecondBps(): number {
    this.advance();
    let sum = 0;
    for (let i = 1; i <= SLOTS; i++) sum += this.slots[(this.cur - i + SLOTS * 2) % SLOTS]!;
    return sum;
  }

  peakBps(): number {
    this.advance();
    return this.peak;
  }

  private advance(): void {
    const now = Math.floor(performance.now() / SLOT_MS);
    if (now - this.cur > SLOTS) {
      this.closeWindow();
      this.slots.fill(0);
      this.cur = now;
      return;
    }
    while (this.cur < now) {
      this.closeWindow();
      this.cur++;
      this.slots[this.cur % SLOTS] = 0;
    }
  }

  /** The window ending with the current slot is complete: it is a peak candidate. */
  private closeWindow(): void {
    let sum = 0;
    for (const v of this.slots) sum += v;
    if (sum > this.peak) this.peak = sum;
  }
}
