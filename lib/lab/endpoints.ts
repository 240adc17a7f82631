/**
 * The lab's names and where they point, derived from config + topology alone, so `lab up`,
 * `lab status`, the k6 runner (its `hosts` option when no lab resolver is available) and the
 * demo print and use the same table.
 */
import type { LabConfig } from './config';
import { backendHost, dataHost, globalHost, regionalHost, type Topology } from './topology';

export interface LabEndpoints {
  /** Global names (Traffic Manager): <reg>.<domain>. */
  global: string[];
  regions: Array<{
    region: string;
    frontIp: string;
    /** Dual stack only: the front's IPv6 address and each backend's, in `backends` order. */
    frontIp6?: string;
    backendIps6?: string[];
    regional: string[];
    data: string[];
    backends: string[];
  }>;
  /** lab.endpointProtocol: IPv4, or IPv4AndIPv6 (dual stack). */
  endpointProtocol?: LabConfig['lab']['endpointProtocol'];
  /** HTTP port of every front and storage backend. */
  port: number;
  identity: string;
  dns: string;
  apiSocket: string;
  /**
   * name -> address for clients that cannot use the lab DNS (k6 `hosts`, curl --resolve).
   * The global name maps to the client region's front: no failover without the lab DNS.
   */
  hosts: Record<string, string>;
}

export function labEndpoints(cfg: LabConfig, topo: Topology): LabEndpoints {
  const hosts: Record<string, string> = {};
  const home = topo.regions.find((r) => r.name === cfg.regions.clientRegion) ?? topo.regions[0];
  const regs = cfg.registry.names;
  for (const reg of regs) if (home) hosts[globalHost(reg, topo.domain)] = home.frontIp;
  const regions = topo.regions.map((r) => {
    const regional = regs.map((reg) => regionalHost(reg, r.name, topo.domain));
    const data = cfg.registry.dataEndpoints ? regs.map((reg) => dataHost(reg, r.name, topo.domain)) : [];
    for (const h of [...regional, ...data]) hosts[h] = r.frontIp;
    const backends = r.backends.map((b) => backendHost(b.id, topo.domain));
    for (const b of r.backends) hosts[backendHost(b.id, topo.domain)] = b.ip;
    const v6 = r.frontIp6 ? { frontIp6: r.frontIp6, backendIps6: r.backends.map((b) => b.ip6 ?? '') } : {};
    return { region: r.name, frontIp: r.frontIp, ...v6, regional, data, backends };
  });
  hosts[topo.identityHost] = topo.identityIp;
  if (cfg.upstream.enabled) hosts[topo.upstream.host] = topo.upstream.ip;
  return {
    global: regs.map((reg) => globalHost(reg, topo.domain)),
    endpointProtocol: cfg.lab.endpointProtocol,
    regions,
    port: topo.port,
    identity: `${topo.identityHost}:${topo.identityPort}`,
    dns: `${topo.dnsIp}:${topo.dnsPort}`,
    apiSocket: topo.apiSocket,
    hosts,
  };
}

/** What a client loses when the lab runs on the host loopback (no namespace, DNS on 5353). */
export function dnsFeaturesOff(netns: boolean, topo: Topology): string[] {
  if (netns) return [];
  return [
    `the lab DNS listens on ${topo.dnsIp}:${topo.dnsPort}, which a stock resolver cannot use: ` +
      '`lab exec` runs commands on the host without the lab resolver',
    'clients must be given the names another way (k6 `hosts` option, curl --resolve): see the hosts table; ' +
      'blob 307s name storage backends too (or start with --set storage.redirectHost=ip)',
    'global-name failover, replica exclusion and DNS flapping are only visible to clients that query ' +
      `the lab DNS directly (dig @${topo.dnsIp} -p ${topo.dnsPort})`,
  ];
}
