/**
 * Where every lab component lives: names, loopback addresses and ports, derived purely
 * from the config so the supervisor, the DNS server, the CLI and tests agree without
 * asking each other. Each region gets its own 127.<octet>.<10+r>.0/24: in the lab's network
 * namespace (or on the host's loopback as a fallback) these are all loopback addresses.
 */
import { join, resolve } from 'node:path';
import type { LabConfig } from './config';

export interface BackendAddr {
  region: string;
  index: number;
  /** Storage account id, e.g. eastus-b0 */
  id: string;
  host: string;
  ip: string;
  /** IPv6 address (lab.endpointProtocol=IPv4AndIPv6 only). */
  ip6?: string;
  port: number;
}

export interface RegionAddr {
  name: string;
  index: number;
  /** The region's front: regional, data and (as a target) global endpoints. */
  frontIp: string;
  /** The front's IPv6 address (lab.endpointProtocol=IPv4AndIPv6 only). */
  frontIp6?: string;
  /** The real registry server (docker-registry) behind the front. Internal. */
  registryIp: string;
  registryPort: number;
  /** Where this region's registry POSTs its notifications (the replicator). */
  notifyUrl: string;
  backends: BackendAddr[];
}

export interface Topology {
  namespace: string;
  stateDir: string;
  apiSocket: string;
  dnsIp: string;
  dnsPort: number;
  port: number;
  domain: string;
  /** Identity stand-in (Azure AD's protocol): login.<domain> */
  identityHost: string;
  identityIp: string;
  /** Dual stack only: Azure AD's sign-in names are dual-stack, so the stand-in's is too. */
  identityIp6?: string;
  identityPort: number;
  regions: RegionAddr[];
  /** The upstream registry cache rules pull through (upstream.enabled): its limiter and the registry behind. */
  upstream: UpstreamAddr;
}

export interface UpstreamAddr {
  /** upstream.<domain>: what cache rules name. */
  host: string;
  /** The rate limiter in front of the upstream registry (what clients reach). */
  ip: string;
  port: number;
  /** The real registry behind the limiter. Internal. */
  registryIp: string;
  registryPort: number;
}

export const globalHost = (reg: string, domain: string) => `${reg}.${domain}`;
export const regionalHost = (reg: string, region: string, domain: string) => `${reg}.${region}.geo.${domain}`;
export const dataHost = (reg: string, region: string, domain: string) => `${reg}.${region}.data.${domain}`;
export const backendHost = (id: string, domain: string) => `${id}.blob.${domain}`;
/** A region's b-th storage backend's id (its placement key, and its name in results). */
export const backendId = (region: string, b: number) => `${region}-b${b}`;

/**
 * The lab's IPv6 prefix: a unique local address range (RFC 4193, never routed) added inside
 * the lab's namespace only. Groups mirror the IPv4 plan: fd57:a3bd:<octet>:<10+r>::<host>,
 * front ::1, backend b ::<10+b> (hex digits read as in 127.<octet>.<10+r>.<host>).
 */
export const ULA_PREFIX = 'fd57:a3bd';
export const ip6Of = (octet: number, net: number, host: number) => `${ULA_PREFIX}:${octet}:${net}::${host}`;

/** Root of all lab state dirs: $STAMPEDE_LAB_HOME or ./.lab */
export function labHome(): string {
  return resolve(process.env.STAMPEDE_LAB_HOME ?? '.lab');
}

/**
 * `octet` (the second byte of every address, default 0) lets tests that run side by side
 * on the host loopback keep out of each other's way: 127.<octet>.x.y.
 */
export function topology(cfg: LabConfig, opts: { netns: boolean; octet?: number }): Topology {
  const o = opts.octet ?? 0;
  const stateDir = join(labHome(), cfg.lab.name);
  const port = cfg.registry.port;
  const domain = cfg.registry.domain;
  const dual = cfg.lab.endpointProtocol === 'IPv4AndIPv6';
  // The IPv4 plan's decimal numbers as hex groups: fd57:a3bd:0:10::1 sits beside 127.0.10.1.
  const v6 = (r: number, host: number) => ip6Of(o, 10 + r, host);
  return {
    namespace: `stampede-${cfg.lab.name}`,
    stateDir,
    apiSocket: join(stateDir, 'api.sock'),
    // Port 53 inside our own namespace (so a stock resolver finds it); off the
    // privileged port on the shared host loopback, where DNS features are limited anyway.
    dnsIp: `127.${o}.0.53`,
    dnsPort: opts.netns ? 53 : 5353,
    port,
    domain,
    identityHost: `login.${domain}`,
    identityIp: `127.${o}.9.1`,
    ...(dual ? { identityIp6: ip6Of(o, 9, 1) } : {}),
    identityPort: 8443,
    upstream: {
      host: `upstream.${domain}`,
      ip: `127.${o}.9.6`,
      port,
      registryIp: `127.${o}.9.5`,
      registryPort: 5000,
    },
    regions: cfg.regions.names.map((name, r) => {
      const net = `127.${o}.${10 + r}`;
      return {
        name,
        index: r,
        frontIp: `${net}.1`,
        ...(dual ? { frontIp6: v6(r, 1) } : {}),
        registryIp: `${net}.2`,
        registryPort: 5000,
        notifyUrl: `http://127.${o}.9.2:9000/notifications/${name}`,
        backends: Array.from({ length: cfg.storage.backends }, (_, b) => {
          const id = backendId(name, b);
          return {
            region: name,
            index: b,
            id,
            host: backendHost(id, domain),
            ip: `${net}.${10 + b}`,
            ...(dual ? { ip6: v6(r, 10 + b) } : {}),
            port,
          };
        }),
      };
    }),
  };
}
