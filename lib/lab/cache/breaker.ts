/**
 * A circuit breaker on one front's upstream calls: K failures (429, 5xx, no answer) within
 * W seconds open it; while open every upstream call is refused at once (the caller answers
 * 503 UPSTREAM_UNAVAILABLE) instead of amplifying an unhealthy upstream; after openS one
 * half-open probe is let through: its success closes the breaker, its failure opens it again.
 * Settings are read per call (runtime-adjustable); time comes from an injected clock.
 */
import { type Clock, systemClock } from '../../clock';

export interface BreakerSettings {
  enabled: boolean;
  failures: number;
  windowS: number;
  openS: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerStatus {
  state: BreakerState;
  /** Failures inside the current window. */
  recentFailures: number;
  /** Times it opened. */
  opened: number;
  /** Calls refused while open (or while the half-open probe was out). */
  refused: number;
  /** Seconds until the half-open probe (open only). */
  reopensInS: number | null;
}

export class Breaker {
  private failures: number[] = [];
  private openUntil = 0;
  private state: BreakerState = 'closed';
  private probing = false;
  private opened = 0;
  private refused = 0;

  constructor(
    private readonly settings: () => BreakerSettings,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Whether a call may go upstream now. A true in half-open is the one probe: report its outcome. */
  allow(): boolean {
    const s = this.settings();
    if (!s.enabled) return true;
    const now = this.clock.monotonic();
    if (this.state === 'open' && now >= this.openUntil) {
      this.state = 'half-open';
      this.probing = false;
    }
    if (this.state === 'closed') return true;
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    this.refused++;
    return false;
  }

  success(): void {
    if (this.state === 'half-open') {
      this.state = 'closed';
      this.probing = false;
      this.failures = [];
    }
  }

  failure(): void {
    const s = this.settings();
    if (!s.enabled) return;
    const now = this.clock.monotonic();
    if (this.state === 'half-open') {
      this.open(now, s);
      return;
    }
    if (this.state === 'open') return;
    this.failures.push(now);
    const from = now - s.windowS * 1000;
    while (this.failures.length && (this.failures[0] as number) <= from) this.failures.shift();
    if (this.failures.length >= s.failures) this.open(now, s);
  }

  private open(now: number, s: BreakerSettings): void {
    this.state = 'open';
    this.probing = false;
    this.openUntil = now + s.openS * 1000;
    this.failures = [];
    this.opened++;
  }

  status(): BreakerStatus {
    const s = this.settings();
    const now = this.clock.monotonic();
    const state: BreakerState = this.state === 'open' && now >= this.openUntil ? 'half-open' : this.state;
    const from = now - s.windowS * 1000;
    return {
      state: s.enabled ? state : 'closed',
      recentFailures: this.failures.filter((t) => t > from).length,
      opened: this.opened,
      refused: this.refused,
      reopensInS: state === 'open' ? Math.max(0, (this.openUntil - now) / 1000) : null,
    };
  }
}
