/** The front-side faults active for a region right now (read per request, so they apply live). */
import type { LabState } from '../state';

export interface FrontFaults {
  down: boolean;
  latencyMs: number;
  errorRate: number;
  monitorCrashed: boolean;
  /** Fraction of API requests answered 429 (fault `throttle`). */
  throttleRate: number;
}

export function frontFaults(state: LabState, region: string): FrontFaults {
  const out: FrontFaults = {
    down: false,
    latencyMs: 0,
    errorRate: 0,
    monitorCrashed: false,
    throttleRate: 0,
  };
  if (state.faults.size === 0) return out;
  for (const f of state.faults.values()) {
    if (f.region !== undefined && f.region !== region) continue;
    if (f.kind === 'region-down') out.down = true;
    else if (f.kind === 'front-latency')
      out.latencyMs = Math.max(out.latencyMs, Number(f.params.latencyMs ?? 0) || 0);
    else if (f.kind === 'front-errors')
      out.errorRate = Math.min(1, Math.max(out.errorRate, Number(f.params.errorRate ?? 0) || 0));
    else if (f.kind === 'health-monitor-crash') out.monitorCrashed = true;
    else if (f.kind === 'throttle')
      out.throttleRate = Math.min(1, Math.max(out.throttleRate, Number(f.params.rate ?? 0) || 0));
  }
  return out;
}
