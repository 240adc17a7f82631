/**
 * The upstream's rate limit as a token bucket: `burst` tokens, full at the start, refilled
 * continuously at `perMin` per minute up to `burst`; a request that finds less than one
 * token is refused (429 with Retry-After). Refill is computed from elapsed time when a
 * request arrives, so the bucket schedules no events.
 */
export class TokenBucket {
  private tokens: number;
  private at = 0;
  private readonly perS: number;

  constructor(
    private readonly burst: number,
    perMin: number,
  ) {
    this.tokens = burst;
    this.perS = perMin / 60;
  }

  /** Takes one token at time `now` (non-decreasing); false when the request is refused. */
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.at) * this.perS);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
