/**
 * A token bucket in bytes shared by every connection of a backend: the egress ceiling.
 * Takers wait in FIFO order, so concurrent streams share the ceiling fairly. A take is
 * granted while the balance is positive and may drive it negative (a chunk larger than
 * the burst still goes out); the next taker waits until real time has paid the debt, so
 * the long-run rate is at most the ceiling.
 *
 * The balance never saves more than BURST_S of the rate (or MIN_BURST), idle or not. Over
 * any window of T seconds the bucket grants at most rate x T + burst + one chunk (the
 * balance a window opens with, plus the last grant's overdraw), e.g. 4 MB/s, 64 KiB chunks:
 * 1.07x the ceiling over 1 s. An earlier version let waiting takers save up to 1 s, so
 * time the event loop lost to a stall (a loaded machine) was paid back as a burst: after a
 * 500 ms stall the next second carried ~1.5x the ceiling, and the lab's backends measured
 * 1.22-1.29x their ceiling on the one-second peak (bench/lab-copy-sweep.ts). Azure's
 * ceiling is a rate limit that does not pay back either: a stalled lab now delivers less
 * than its ceiling during the stall, never more after it.
 */
import { type Clock, type ClockTimer, systemClock } from '../../clock';

const BURST_S = 0.05;
const MIN_BURST = 64 * 1024;

export class ByteBucket {
  private tokens = 0;
  private last: number;
  private readonly queue: Array<{ n: number; go: () => void }> = [];
  private timer: ClockTimer | undefined;

  /** rate() is read on every take, so a runtime change of the ceiling applies at once; <= 0 = unlimited. */
  constructor(
    private readonly rate: () => number,
    private readonly clock: Clock = systemClock,
  ) {
    this.last = clock.monotonic();
  }

  get waiting(): number {
    return this.queue.length;
  }

  take(n: number, go: () => void): void {
    const r = this.rate();
    if (r <= 0) {
      this.flush();
      go();
      return;
    }
    this.refill(r);
    if (this.queue.length === 0 && this.tokens > 0) {
      this.tokens -= n;
      go();
      return;
    }
    this.queue.push({ n, go });
    this.schedule(r);
  }

  close(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private refill(r: number): void {
    const t = this.clock.monotonic();
    const cap = Math.max(r * BURST_S, MIN_BURST);
    this.tokens = Math.min(this.tokens + ((t - this.last) / 1000) * r, cap);
    this.last = t;
  }

  private flush(): void {
    const q = this.queue.splice(0);
    for (const w of q) w.go();
  }

  private schedule(r: number): void {
    if (this.timer) return;
    const waitMs = this.tokens > 0 ? 0 : ((1 - this.tokens) / r) * 1000;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        const rate = this.rate();
        if (rate <= 0) return this.flush();
        this.refill(rate);
        while (this.queue.length && this.tokens > 0) {
          const w = this.queue.shift()!;
          this.tokens -= w.n;
          w.go();
        }
        if (this.queue.length) this.schedule(rate);
      },
      Math.max(1, Math.ceil(waitMs)),
    );
  }
}
