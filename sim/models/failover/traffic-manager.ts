/**
 * Traffic Manager for one registry's global name, with the lab's semantics
 * (lib/lab/dns/monitor.ts and routing.ts):
 * - each agent probes each endpoint on a fixed clock; a probe's verdict lands when it
 *   ends (at once for an answer, after the timeout when nothing answers);
 * - an agent sees an endpoint Degraded once its consecutive failures exceed the tolerated
 *   number, and Online again at its first success (no cooldown);
 * - the endpoint is Degraded while at least `agentsToDegrade` agents see it so (the lab
 *   has one agent);
 * - the answer is the lowest-latency endpoint that is enabled and not Degraded; when all
 *   enabled ones are Degraded it answers all of them; an excluded replica
 *   (global-endpoint-routing false) leaves the answers at once and returns at once.
 */
export interface AgentState {
  consecutiveFailures: number;
  degraded: boolean;
}

export interface Transition {
  t: number;
  region: string;
  to: 'degraded' | 'online';
}

export class TrafficManager {
  private readonly agents = new Map<string, AgentState[]>();
  private readonly degraded = new Set<string>();
  readonly transitions: Transition[] = [];

  constructor(
    /** Regions in latency order for the fleet (client region first). */
    private readonly order: readonly string[],
    private readonly tolerated: number,
    agentCount: number,
    private readonly agentsToDegrade: number,
    private readonly excluded: (region: string) => boolean,
  ) {
    for (const r of order)
      this.agents.set(
        r,
        Array.from({ length: agentCount }, () => ({ consecutiveFailures: 0, degraded: false })),
      );
  }

  /** A probe of `region` by `agent` ended at `now` with `ok`. */
  verdict(region: string, agent: number, ok: boolean, now: number): void {
    const states = this.agents.get(region);
    const a = states?.[agent];
    if (!states || !a) return;
    if (ok) {
      a.consecutiveFailures = 0;
      a.degraded = false;
    } else {
      a.consecutiveFailures++;
      if (a.consecutiveFailures > this.tolerated) a.degraded = true;
    }
    const nowDegraded = states.filter((s) => s.degraded).length >= this.agentsToDegrade;
    if (nowDegraded !== this.degraded.has(region)) {
      if (nowDegraded) this.degraded.add(region);
      else this.degraded.delete(region);
      this.transitions.push({ t: now, region, to: nowDegraded ? 'degraded' : 'online' });
    }
  }

  isDegraded(region: string): boolean {
    return this.degraded.has(region);
  }

  /** The regions the global name answers now, in latency order. */
  answer(): string[] {
    const enabled = this.order.filter((r) => !this.excluded(r));
    if (enabled.length === 0) return [];
    const healthy = enabled.filter((r) => !this.degraded.has(r));
    if (healthy.length === 0) return enabled;
    return healthy.slice(0, 1);
  }
}
