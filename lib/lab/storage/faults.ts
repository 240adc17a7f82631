/** The storage faults that apply to one backend right now (read per request: faults change live). */
import type { LabState } from '../state';
import type { BackendAddr } from '../topology';

export interface BackendFaults {
  /** storage-fail: answer 500 InternalError. */
  failed: boolean;
  /** storage-slow: added before the first byte. */
  latencyMs: number;
  /** storage-slow: ceiling override (lowest of the active faults), undefined = none. */
  ceilingBps: number | undefined;
}

const applies = (f: { region?: string; backends?: number[] }, addr: BackendAddr) =>
  (f.region === undefined || f.region === addr.region) &&
  (f.backends === undefined || f.backends.includes(addr.index));

export function backendFaults(state: LabState, addr: BackendAddr): BackendFaults {
  const out: BackendFaults = { failed: false, latencyMs: 0, ceilingBps: undefined };
  if (state.faults.size === 0) return out;
  for (const f of state.faults.values()) {
    if (!applies(f, addr)) continue;
    if (f.kind === 'storage-fail') out.failed = true;
    else if (f.kind === 'storage-slow') {
      const lat = Number(f.params.latencyMs ?? 0);
      if (Number.isFinite(lat) && lat > out.latencyMs) out.latencyMs = lat;
      if (f.params.ceilingBps !== undefined) {
        const c = Number(f.params.ceilingBps);
        if (Number.isFinite(c) && c > 0 && (out.ceilingBps === undefined || c < out.ceilingBps))
          out.ceilingBps = c;
      }
    }
  }
  return out;
}

/** The ceiling a backend enforces now: a storage-slow override, else the lab-wide runtime ceiling. */
export const effectiveCeiling = (state: LabState, addr: BackendAddr): number =>
  backendFaults(state, addr).ceilingBps ?? state.storage.ceilingBps;
