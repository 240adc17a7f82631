/**
 * What the lab's Traffic Manager answers for each name, as pure functions of the live
 * state (faults), endpoint health and the clock. The server, `resolve()` and `status()`
 * all ask here, so they cannot disagree.
 *
 * Semantics (Azure Traffic Manager, performance routing, one profile per registry):
 * - the global name answers the lowest-latency endpoint for the asking client that is
 *   enabled and not Degraded; if every enabled endpoint is Degraded, TM treats them all as
 *   healthy and answers all of them;
 * - `replica-exclude` (global endpoint routing off) removes the replica from the profile at
 *   once and puts it back at once when cleared; if every replica is excluded the name
 *   exists but has no address (NOERROR, no answers);
 * - `dns-flap` makes the listed healthy regions (default: all) alternate every interval,
 *   with TTL 0 (or params.ttlS) so a re-resolving client sees every change.
 * Regional, data, storage and identity names never move.
 */
import type { LabState } from '../state';
import { faultsOf } from '../state';
import { dataHost, globalHost, regionalHost } from '../topology';

/** Who is asking: lets the latency order depend on the client later (per source address). */
export interface ClientInfo {
  address: string;
  port: number;
  transport: 'udp' | 'tcp' | 'api';
}

/** Regions from lowest to highest latency for this client. */
export type LatencyOrder = (state: LabState, client: ClientInfo | undefined) => string[];

/** Every client sits in `regions.clientRegion`; the others follow in config order. */
export const defaultLatencyOrder: LatencyOrder = (state) => {
  const names = state.config.regions.names;
  const home = state.config.regions.clientRegion;
  return names.includes(home) ? [home, ...names.filter((n) => n !== home)] : [...names];
};

export type GlobalReason = 'performance' | 'flap' | 'all-degraded' | 'all-excluded';

export interface GlobalAnswer {
  registry: string;
  name: string;
  regions: string[];
  ips: string[];
  /** AAAA addresses of the same regions (empty unless lab.endpointProtocol=IPv4AndIPv6). */
  ips6: string[];
  ttl: number;
  reason: GlobalReason;
}

export interface FlapView {
  faultId: string;
  registry: string;
  regions: string[];
  intervalS: number;
  since: number;
  /** Index into regions of the region being answered now. */
  phase: number;
}

/** Does a fault's optional `params.registry` (string or list) cover this registry? */
function coversRegistry(params: Record<string, unknown>, registry: string): boolean {
  const r = params.registry;
  if (r === undefined) return true;
  return Array.isArray(r) ? r.includes(registry) : String(r).split(',').includes(registry);
}

function listParam(v: unknown): string[] {
  if (v === undefined) return [];
  const items = Array.isArray(v) ? v.map(String) : String(v).split(',');
  return items.map((s) => s.trim()).filter(Boolean);
}

/** Regions taken out of global routing for this registry (`replica-exclude`). */
export function excludedRegions(state: LabState, registry: string): Set<string> {
  const out = new Set<string>();
  for (const f of faultsOf(state, 'replica-exclude')) {
    if (!coversRegistry(f.params, registry)) continue;
    if (f.region) out.add(f.region);
    for (const r of listParam(f.params.regions)) out.add(r);
  }
  return out;
}

export interface RouteInputs {
  state: LabState;
  registry: string;
  /** True when TM has marked this endpoint Degraded. */
  degraded(registry: string, region: string): boolean;
  order: string[];
  now: number;
}

function flapFor(inp: RouteInputs, eligible: string[]): FlapView | undefined {
  const faults = faultsOf(inp.state, 'dns-flap')
    .filter((f) => coversRegistry(f.params, inp.registry))
    .sort((a, b) => a.since - b.since);
  const f = faults[0];
  if (!f) return undefined;
  const wanted = listParam(f.params.regions);
  if (f.region && wanted.length === 0) wanted.push(f.region);
  // Default: every eligible region is equidistant. The client's latency order fixes the
  // sequence, so it is reproducible.
  const pool = wanted.length ? inp.order.filter((r) => wanted.includes(r)) : inp.order;
  const regions = pool.filter((r) => eligible.includes(r));
  if (regions.length < 2) return undefined;
  const p = Number(f.params.intervalS);
  const intervalS = Number.isFinite(p) && p > 0 ? p : inp.state.config.dns.flapIntervalS;
  const phase = Math.floor(Math.max(0, inp.now - f.since) / (intervalS * 1000)) % regions.length;
  return { faultId: f.id, registry: inp.registry, regions, intervalS, since: f.since, phase };
}

export function routeGlobal(inp: RouteInputs): GlobalAnswer & { flap?: FlapView } {
  const { state, registry } = inp;
  const topo = state.topology;
  const ipOf = (region: string) => topo.regions.find((r) => r.name === region)?.frontIp ?? '';
  // Both families route alike: failover, exclusion and flapping move A and AAAA together.
  const ip6Of = (region: string) => topo.regions.find((r) => r.name === region)?.frontIp6 ?? '';
  const name = globalHost(registry, topo.domain);
  const ttl = state.config.dns.ttlS;
  const excluded = excludedRegions(state, registry);
  const enabled = inp.order.filter((r) => !excluded.has(r));
  const answer = (regions: string[], reason: GlobalReason, t = ttl) => ({
    registry,
    name,
    regions,
    ips: regions.map(ipOf),
    ips6: regions.map(ip6Of).filter(Boolean),
    ttl: t,
    reason,
  });
  if (enabled.length === 0) return answer([], 'all-excluded');
  const healthy = enabled.filter((r) => !inp.degraded(registry, r));
  if (healthy.length === 0) return answer(enabled, 'all-degraded');
  const flap = flapFor(inp, healthy);
  if (flap) {
    const t = Number(state.faults.get(flap.faultId)?.params.ttlS);
    return {
      ...answer(flap.regions.slice(flap.phase, flap.phase + 1), 'flap', Number.isFinite(t) && t >= 0 ? t : 0),
      flap,
    };
  }
  return answer(healthy.slice(0, 1), 'performance');
}

/** A name the zone knows and what it answers. */
export type ZoneEntry =
  | { kind: 'global'; registry: string }
  | {
      kind: 'static';
      role: 'regional' | 'data' | 'backend' | 'identity' | 'ns' | 'dns' | 'upstream';
      ips: string[];
      /** AAAA records (dual stack only): fronts, backends and identity, never the DNS itself. */
      ips6?: string[];
    }
  | { kind: 'apex' };

/** Every fixed name of the lab (global names are routed on each query). */
export function buildZone(state: LabState): Map<string, ZoneEntry> {
  const t = state.topology;
  const d = t.domain;
  const z = new Map<string, ZoneEntry>();
  z.set(d, { kind: 'apex' });
  z.set(`ns.${d}`, { kind: 'static', role: 'ns', ips: [t.dnsIp] });
  z.set(t.identityHost.toLowerCase(), {
    kind: 'static',
    role: 'identity',
    ips: [t.identityIp],
    ips6: t.identityIp6 ? [t.identityIp6] : [],
  });
  if (state.config.upstream.enabled)
    z.set(t.upstream.host, { kind: 'static', role: 'upstream', ips: [t.upstream.ip] });
  for (const reg of state.config.registry.names) {
    z.set(globalHost(reg, d), { kind: 'global', registry: reg });
    for (const r of t.regions) {
      const ips6 = r.frontIp6 ? [r.frontIp6] : [];
      z.set(regionalHost(reg, r.name, d), { kind: 'static', role: 'regional', ips: [r.frontIp], ips6 });
      // Without dedicated data endpoints (registry.dataEndpoints=false) the name does not exist.
      if (state.config.registry.dataEndpoints)
        z.set(dataHost(reg, r.name, d), { kind: 'static', role: 'data', ips: [r.frontIp], ips6 });
    }
  }
  for (const r of t.regions)
    for (const b of r.backends)
      z.set(b.host.toLowerCase(), {
        kind: 'static',
        role: 'backend',
        ips: [b.ip],
        ips6: b.ip6 ? [b.ip6] : [],
      });
  return z;
}

/** Names that exist only because something lives below them (RFC 8020: NOERROR, not NXDOMAIN). */
export function emptyNonTerminals(zone: Map<string, ZoneEntry>, domain: string): Set<string> {
  const out = new Set<string>();
  for (const name of zone.keys()) {
    let n = name;
    while (n.length > domain.length) {
      const dot = n.indexOf('.');
      if (dot < 0) break;
      n = n.slice(dot + 1);
      if (n.length > domain.length && !zone.has(n)) out.add(n);
    }
  }
  return out;
}

export function inZone(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}
