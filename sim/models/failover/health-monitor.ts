/**
 * A region's Health Monitor as the lab runs it (lib/lab/front/health.ts): a check loop
 * every `checkIntervalS` that records, per dependency, when its current run of failures
 * began; deep health is unhealthy once a dependency has been failing for `sustainS`. A
 * check made while the monitor is broken throws, clears what it had seen (failure runs
 * restart when it comes back) and makes the verdict healthy: it fails open. A region
 * whose front is down answers 503 to the deep-health probe whatever the monitor says.
 */
export interface RegionCondition {
  /** The front answers 503 to everything, deep health included. */
  down: boolean;
  /** Nothing answers: probes and requests time out. */
  unreachable: boolean;
  /** A dependency the registry needs (its home storage) is failing. */
  dependencyFailing: boolean;
  /** The monitor process itself is broken. */
  monitorCrashed: boolean;
}

export class HealthMonitor {
  private failingSince: number | null = null;
  private broken = false;

  constructor(
    private readonly sustainS: number,
    private readonly condition: () => RegionCondition,
  ) {}

  /** One check-loop tick at `now`. */
  tick(now: number): void {
    const c = this.condition();
    if (c.monitorCrashed) {
      this.broken = true;
      this.failingSince = null;
      return;
    }
    this.broken = false;
    if (c.dependencyFailing) this.failingSince ??= now;
    else this.failingSince = null;
  }

  /** The deep-health verdict a probe gets at `now`: true = 200. */
  healthy(now: number): boolean {
    if (this.condition().down) return false;
    if (this.broken) return true;
    return this.failingSince === null || now - this.failingSince < this.sustainS;
  }
}
