/**
 * The exact best and worst cases of `stampede sim failover`, in closed form (derivation in
 * README.md, "Bounds"). Times are seconds; detection is measured from the fault start F,
 * failback detection from the clear time C. Upper bounds are suprema (open on the right
 * where a phase is drawn from [0, interval)).
 */
import type { CacheMode, FailoverParams, FaultKind } from './params';

export interface Range {
  min: number;
  max: number;
}

/** Kinds that take the faulted region out of the answers at all (the others never fail over). */
export function failsOver(p: FailoverParams): boolean {
  const k = p.fault.kind;
  if (k === 'storage-fail') return !p.health.crashDuringFault;
  return k === 'region-down' || k === 'region-unreachable' || k === 'replica-exclude';
}

/** Kinds whose requests to the faulted region fail from F on (so the first success is elsewhere). */
export function breaksRequests(kind: FaultKind): boolean {
  return kind === 'region-down' || kind === 'region-unreachable' || kind === 'storage-fail';
}

/**
 * Delay u = U - F from the fault to deep health reporting unhealthy. region-down answers
 * 503 on /_health/deep at once (u = 0) and an unreachable region fails its probes at once;
 * storage-fail goes through the health monitor: the first check at or after F sees the
 * failure (within one check interval h) and the verdict turns after the sustain window.
 */
export function unhealthyDelay(p: FailoverParams): Range {
  if (p.fault.kind === 'storage-fail')
    return { min: p.health.sustainS, max: p.health.sustainS + p.health.checkIntervalS };
  return { min: 0, max: 0 };
}

/** Time for a failing probe's verdict to arrive: the timeout when nothing answers, else at once. */
export function failedProbeLatency(p: FailoverParams): number {
  return p.fault.kind === 'region-unreachable' ? p.trafficManager.probeTimeoutS : 0;
}

/**
 * Traffic Manager detection D (fault start -> endpoint Degraded, DNS answers change):
 * the first failing probe p_j lies in [U, U + I); Azure degrades after MORE than N
 * consecutive failures, i.e. at the (N+1)-th, which is p_j + N*I, and its verdict lands
 * r later. So D in [u_min + N*I + r, u_max + (N+1)*I + r). With several agents the
 * endpoint turns at an order statistic of the agents' times, inside the same range.
 * replica-exclude is a purge: D = 0.
 */
export function detectionRange(p: FailoverParams): Range | null {
  if (!failsOver(p)) return null;
  if (p.fault.kind === 'replica-exclude') return { min: 0, max: 0 };
  const u = unhealthyDelay(p);
  const n = p.trafficManager.toleratedFailures;
  const i = p.trafficManager.probeIntervalS;
  const r = failedProbeLatency(p);
  return { min: u.min + n * i + r, max: u.max + (n + 1) * i + r };
}

/**
 * E[D] with uniform phases (one agent): the first failing probe trails U by U(0, I), the
 * first failing health check trails F by U(0, h), so E[D] = E[u] + (N + 1/2) * I + r.
 */
export function detectionMean(p: FailoverParams): number | null {
  const d = detectionRange(p);
  if (!d) return null;
  if (p.fault.kind === 'replica-exclude') return 0;
  const u = unhealthyDelay(p);
  const n = p.trafficManager.toleratedFailures;
  const i = p.trafficManager.probeIntervalS;
  return (u.min + u.max) / 2 + (n + 0.5) * i + failedProbeLatency(p);
}

/**
 * Failback detection B (clear -> endpoint Online): storage-fail recovers at the first
 * health check at or after C (within h), the others at C; the first probe after that
 * succeeds and brings the endpoint back at once (no cooldown): B in [0, h' + I), h' = h
 * for storage-fail else 0. replica-exclude re-enables at once: B = 0.
 */
export function failbackRange(p: FailoverParams): Range | null {
  if (!failsOver(p)) return null;
  if (p.fault.kind === 'replica-exclude') return { min: 0, max: 0 };
  const h = p.fault.kind === 'storage-fail' ? p.health.checkIntervalS : 0;
  return { min: 0, max: h + p.trafficManager.probeIntervalS };
}

/** E[B] with uniform phases (one agent): the recovery lags C by U(0, h') and the next probe by U(0, I). */
export function failbackMean(p: FailoverParams): number | null {
  const b = failbackRange(p);
  return b ? b.max / 2 : null;
}

export interface CacheLayerSpec {
  mode: CacheMode;
  ttlS: number;
  /** > 0: first fills are held until this moment (a pinned phase); 0 or absent: random age. */
  firstExpiryS?: number;
}

/** Layers from the one nearest Traffic Manager (cluster) to the client's own. */
export function cacheChain(p: FailoverParams): CacheLayerSpec[] {
  return [p.cache.cluster, p.cache.node, p.cache.client];
}

/**
 * The longest a client can keep resolving the old answer after Traffic Manager changed it
 * at T. Walking from TM outwards, E_i is the latest (relative to T) a stale entry can be
 * held at layer i and X_i the latest absolute record expiry it can hand on:
 *   TM:      E = 0, X = ttl (a record fetched just before T says "valid until T + ttl")
 *   none:    unchanged
 *   honour:  E = X (keeps the record's own expiry)
 *   cap a:   E = min(X, E + a), X = E
 *   fixed a: E = E + a, X = E
 * The client's staleness is at most E_n, which never exceeds the sum of its layers'
 * effective TTLs (honour: the record TTL; cap: min(ttl, a); fixed: a).
 */
export function stalenessBound(p: FailoverParams): number {
  let e = 0;
  let x = p.dns.ttlS;
  for (const layer of cacheChain(p)) {
    if (layer.mode === 'none') continue;
    if (layer.mode === 'honour') e = x;
    else if (layer.mode === 'cap') e = Math.min(x, e + layer.ttlS);
    else e = e + layer.ttlS;
    x = e;
  }
  return e;
}

/** The brief's looser form: the sum of every caching layer's effective TTL. */
export function stalenessSum(p: FailoverParams): number {
  return cacheChain(p).reduce((sum, l) => {
    if (l.mode === 'none') return sum;
    if (l.mode === 'honour') return sum + p.dns.ttlS;
    if (l.mode === 'cap') return sum + Math.min(p.dns.ttlS, l.ttlS);
    return sum + l.ttlS;
  }, 0);
}

/** Longest gap between two request starts of one client (closed loop: request, think, request). */
export function requestGap(p: FailoverParams): number {
  const c = p.clients;
  const longest = Math.max(c.pullS, c.failS, p.fault.kind === 'region-unreachable' ? c.timeoutS : 0);
  return longest + c.thinkS;
}

/**
 * A client's failover time (F -> completion of its first successful request started at or
 * after F) for kinds that break requests: at least D + pull, at most
 * D + staleness + gap + pull (its next request after its caches let go starts within one
 * gap and then takes one pull). Failback likewise, from C, with B for D.
 */
export function clientFailoverRange(p: FailoverParams): Range | null {
  const d = detectionRange(p);
  if (!d || !breaksRequests(p.fault.kind)) return null;
  return {
    min: d.min + p.clients.pullS,
    max: d.max + stalenessBound(p) + requestGap(p) + p.clients.pullS,
  };
}

export function clientFailbackRange(p: FailoverParams): Range | null {
  const b = failbackRange(p);
  if (!b) return null;
  return {
    min: b.min + p.clients.pullS,
    max: b.max + stalenessBound(p) + p.clients.pullS + p.clients.thinkS + p.clients.pullS,
  };
}

export interface Bounds {
  detection: Range | null;
  detectionMean: number | null;
  failbackDetection: Range | null;
  stalenessMax: number;
  stalenessSum: number;
  clientFailover: Range | null;
  clientFailback: Range | null;
}

export function bounds(p: FailoverParams): Bounds {
  return {
    detection: detectionRange(p),
    detectionMean: detectionMean(p),
    failbackDetection: failbackRange(p),
    stalenessMax: stalenessBound(p),
    stalenessSum: stalenessSum(p),
    clientFailover: clientFailoverRange(p),
    clientFailback: clientFailbackRange(p),
  };
}
