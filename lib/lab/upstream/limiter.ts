/**
 * The upstream's rate limit, Docker-Hub-like: a token bucket of `burst` refilled at `perMin`
 * per minute, one for everyone (`global`) or one per client IP (`client`, as Docker Hub
 * limits anonymous pulls per IP). A refused request gets 429 with Retry-After and the
 * `ratelimit-limit` / `ratelimit-remaining` headers Docker Hub sends (`100;w=21600`).
 * Settings are read on every call, so a change applies to the next request.
 */
import { type Clock, systemClock } from '../../clock';

export interface RateLimitSettings {
  scope: 'global' | 'client';
  perMin: number;
  burst: number;
  retryAfterS: number;
}

export interface Admission {
  ok: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds a refused client should wait (the configured Retry-After). */
  retryAfterS: number;
  headers: Record<string, string>;
}

interface Bucket {
  tokens: number;
  last: number;
}

/** Idle buckets of clients are forgotten past this many, oldest first (bounded memory). */
const MAX_CLIENTS = 10_000;

export class UpstreamLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: () => RateLimitSettings,
    private readonly clock: Clock = systemClock,
  ) {}

  take(clientIp: string): Admission {
    const s = this.settings();
    const key = s.scope === 'client' ? clientIp : '*';
    const now = this.clock.monotonic();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: s.burst, last: now };
      this.buckets.set(key, b);
      if (this.buckets.size > MAX_CLIENTS) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    b.tokens = Math.min(s.burst, b.tokens + ((now - b.last) / 60_000) * s.perMin);
    b.last = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    const remaining = Math.max(0, Math.floor(b.tokens));
    // Docker Hub's window is the time a full bucket takes to refill.
    const windowS = Math.max(1, Math.round((s.burst / s.perMin) * 60));
    const headers: Record<string, string> = {
      'ratelimit-limit': `${s.burst};w=${windowS}`,
      'ratelimit-remaining': `${remaining};w=${windowS}`,
    };
    if (!ok) headers['retry-after'] = String(s.retryAfterS);
    return { ok, remaining, retryAfterS: s.retryAfterS, headers };
  }

  /** Forget every bucket (settings changed between runs: start full). */
  reset(): void {
    this.buckets.clear();
  }
}
