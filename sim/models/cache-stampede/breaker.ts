/**
 * A circuit breaker in front of the upstream, one per upstream client (a front, or the
 * hydration workers). Closed: requests pass; a failure (429, 5xx, connection refused) is
 * remembered for `windowS`, and the K-th within the window opens it. Open: requests fail
 * at once, without reaching the upstream, for `openS`; then the first request is let
 * through as the one half-open probe (the rest still fail at once): a success closes the
 * breaker, a failure opens it for another `openS`. Responses to requests sent before it
 * opened are ignored while it is open: they say nothing new.
 *
 * So once open, the upstream sees at most one request per `openS` from this client: the
 * probe schedule the closed-form tests bound the outage traffic by.
 */
export type Admit = 'pass' | 'probe' | 'reject';

export class Breaker {
  private failures: number[] = [];
  private open = false;
  private openUntil = 0;
  private probing = false;
  trips = 0;
  probes = 0;
  rejected = 0;
  /** When it first opened (null if it never did). */
  firstTripS: number | null = null;

  constructor(
    private readonly k: number,
    private readonly windowS: number,
    private readonly openS: number,
  ) {}

  admit(now: number): Admit {
    if (!this.open) return 'pass';
    if (now >= this.openUntil && !this.probing) {
      this.probing = true;
      this.probes++;
      return 'probe';
    }
    this.rejected++;
    return 'reject';
  }

  /** The outcome of a request admitted as `how`, at the time its response arrived. */
  record(now: number, how: Admit, ok: boolean): void {
    if (how === 'probe') {
      this.probing = false;
      if (ok) {
        this.open = false;
        this.failures = [];
      } else this.openUntil = now + this.openS;
      return;
    }
    if (this.open || ok) return;
    this.failures.push(now);
    while ((this.failures[0] as number) <= now - this.windowS) this.failures.shift();
    if (this.failures.length >= this.k) {
      this.open = true;
      this.openUntil = now + this.openS;
      this.failures = [];
      this.trips++;
      this.firstTripS ??= now;
    }
  }
}
