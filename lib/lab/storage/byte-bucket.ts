/**
 * A token bucket in bytes shared by every connection of a backend: the egress ceiling.
 * Takers wait in FIFO order, so concurrent streams share the ceiling fairly. A take is
 * granted while the balance is positive and may drive it negative (a chunk larger than
 * the burst still goes out); the next taker waits until real time has paid the debt, so
 * the long-run rate is exactly the ceiling. An idle bucket saves at most 50 ms of the rate
 * (over a window of T seconds a fresh burst adds at most 0.05/T); while takers wait, the
 * balance may save up to 1 s, so time the event loop lost to a stall (a loaded machine)
 * is paid back to the waiting streams instead of lowering the delivered ceiling.
 */
import { type Clock, type ClockTimer, systemClock } from '../../clock';

const BURST_S = 0.05;
const CATCH_UP_S = 1;
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
    const cap = Math.max(r * (this.queue.length ? CATCH_UP_S : BURST_S), MIN_BURST);
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
