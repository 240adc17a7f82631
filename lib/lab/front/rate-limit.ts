/**
 * Per-replica request throttling (ACR's TOOMANYREQUESTS): a token bucket of `burst`
 * requests refilled at `rate` per second. Over it, the caller answers 429 with the
 * seconds until the next token as Retry-After.
 */
import { type Clock, systemClock } from '../../clock';

export class RequestBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: () => number,
    private readonly burst: () => number,
    private readonly clock: Clock = systemClock,
  ) {
    this.tokens = burst();
    this.last = clock.monotonic();
  }

  /** 0 if admitted, else whole seconds to wait (>= 1). rate <= 0 admits everything. */
  take(): number {
    const r = this.rate();
    if (r <= 0) return 0;
    const now = this.clock.monotonic();
    this.tokens = Math.min(this.burst(), this.tokens + ((now - this.last) / 1000) * r);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / r));
  }
}
