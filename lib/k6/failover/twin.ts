/**
 * The simulated twin of a measured failover run: `stampede sim failover` parameters that
 * describe the same lab, fleet and fault, so the model predicts what the run measured.
 * Only settings and clock phases come from the run, never its outcomes:
 * - the lab's Traffic-Manager and health settings, the TTL and k6's dns.ttl, the fleet
 *   (VUs, think time), the fault kind, and its start and clear as the lab stamped them;
 * - k6's DNS cache is one cache shared by every VU of the process (k6's resolver), so it is
 *   the simulator's node layer (`fixed`, clientsPerNode = VUs), its phase pinned to the last
 *   lookup the lab DNS answered before the fault; there is no other cache in the lab;
 * - the probe clock's phase, from a probe start the lab reported;
 * - pull and failure durations: medians of the pulls before the fault and of failed pulls.
 * `compareTwin` then checks the brief's target: P50 and P90 of failover and failback within
 * ±10% or ±1 probe interval, whichever is larger.
 */
import type { Metrics, Quantiles } from '../../results/envelope';
import type { FailoverSchedule } from './measure';
import { type FailoverRunParams, k6DurationS } from './params';

export const TWIN_FILE = 'twin-params.json';

export function twinParams(p: FailoverRunParams, s: FailoverSchedule, m: Metrics): Record<string, unknown> {
  const t = (ms: number) => (ms - s.t0Ms) / 1000;
  const F = s.fault.sinceMs === null ? p.faultAtS : t(s.fault.sinceMs);
  const C = s.fault.clearedMs === null ? p.clearAtS : t(s.fault.clearedMs);
  const I = p.lab.probeIntervalS;
  const ttl = k6DurationS(p.dns.ttl);
  const before = s.lookupsMs.filter((ms) => t(ms) <= F);
  const last = before[before.length - 1];
  const rs = m.requestS as { okBeforeFault?: Quantiles | null; failed?: Quantiles | null } | undefined;
  const phase = s.probeAtMs === null ? null : ((t(s.probeAtMs) % I) + I) % I;
  return {
    run: { durationS: p.durationS, binS: p.binS },
    regions: { names: s.regions, clientRegion: s.home },
    fault: { kind: p.fault.kind, region: s.home, startS: F, clearS: C, rate: p.fault.rate },
    health: { sustainS: p.lab.sustainS, checkIntervalS: p.lab.checkIntervalS, crashDuringFault: false },
    trafficManager: {
      probeIntervalS: I,
      probeTimeoutS: p.lab.probeTimeoutS,
      toleratedFailures: p.lab.toleratedFailures,
      agents: 1,
      agentsToDegrade: 1,
      ...(phase === null ? { probePhase: 'random' } : { probePhase: 'fixed', probeOffsetS: phase }),
    },
    dns: { ttlS: p.lab.ttlS },
    cache: {
      client: { mode: 'none', ttlS: 0, firstExpiryS: 0 },
      node: {
        mode: ttl > 0 ? 'fixed' : 'none',
        ttlS: ttl,
        firstExpiryS: ttl > 0 && last !== undefined ? t(last) + ttl : 0,
      },
      cluster: { mode: 'none', ttlS: 0, firstExpiryS: 0 },
      clientsPerNode: p.vus,
      clusterReplicas: 1,
    },
    clients: {
      count: p.vus,
      pullS: Math.max(0.001, rs?.okBeforeFault?.p50 ?? 0.05),
      thinkS: p.thinkS,
      failS: Math.max(0.001, rs?.failed?.p50 ?? 0.01),
      timeoutS: 60,
      select: p.dns.select,
    },
  };
}

export interface TwinRow {
  what: string;
  measured: number | null;
  simulated: number | null;
  tolerance: number;
  ok: boolean;
}

/** P50/P90 of failover and failback, measured vs simulated, against ±max(10%, 1 interval). */
export function compareTwin(measured: Metrics, simulated: Metrics, probeIntervalS: number): TwinRow[] {
  const rows: TwinRow[] = [];
  for (const key of ['failoverS', 'failbackS'] as const)
    for (const qk of ['p50', 'p90'] as const) {
      const a = (measured[key] as Quantiles | null | undefined)?.[qk] ?? null;
      const b = (simulated[key] as Quantiles | null | undefined)?.[qk] ?? null;
      const tolerance = Math.max(0.1 * (b ?? 0), probeIntervalS);
      rows.push({
        what: `${key.replace('S', '')} ${qk.toUpperCase()}`,
        measured: a,
        simulated: b,
        tolerance,
        ok: a === null && b === null ? true : a !== null && b !== null && Math.abs(a - b) <= tolerance,
      });
    }
  return rows;
}
