/**
 * `family-down`: one address family stops reaching the fronts and/or the storage backends,
 * as when an IPv6 route or a dual-stack load balancer breaks while IPv4 keeps working.
 * Done with packet-filter rules inside the lab's own namespace (iptables / ip6tables, which
 * the machine already has; never on the host): `reject` answers every connection attempt
 * with a TCP reset at once (a client sees "connection refused"), `drop` discards the packets
 * (a client waits for its own timeout). DNS is untouched: AAAA records still point at the
 * broken family, exactly what a dual-stack client meets in that failure.
 * The rules match the destination address and port, so the lab's own IPv4 traffic to the
 * same endpoint (Traffic Manager probes, deep-health checks) is hit by an ipv4 fault too.
 */
import { execFileSync } from 'node:child_process';
import { InputError, RunError } from '../errors';
import { IP_BIN } from './netns';
import type { Fault } from './state';
import type { Topology } from './topology';

export type Family = 'ipv4' | 'ipv6';

/** One rule's match and target, without the chain operation (-I / -D). */
export interface FilterRule {
  bin: 'iptables' | 'ip6tables';
  match: string[];
  jump: string[];
}

const ruleArgs = (r: FilterRule, comment: string) => [
  ...r.match,
  '-m',
  'comment',
  '--comment',
  comment,
  ...r.jump,
];

/** The rules a family-down fault installs, one per (address, port) it covers. */
export function familyRules(
  topo: Topology,
  fault: Pick<Fault, 'region' | 'params'>,
  tlsPort: number,
): FilterRule[] {
  const family = fault.params.family as Family;
  const target = (fault.params.target as string | undefined) ?? 'all';
  const mode = (fault.params.mode as string | undefined) ?? 'reject';
  const bin = family === 'ipv6' ? 'ip6tables' : 'iptables';
  const jump = mode === 'drop' ? ['-j', 'DROP'] : ['-j', 'REJECT', '--reject-with', 'tcp-reset'];
  const out: FilterRule[] = [];
  const add = (addr: string | undefined, port: number) => {
    if (!addr) return;
    out.push({ bin, match: ['-p', 'tcp', '-d', addr, '--dport', String(port)], jump });
  };
  for (const r of topo.regions) {
    if (fault.region !== undefined && r.name !== fault.region) continue;
    if (target === 'fronts' || target === 'all') {
      const addr = family === 'ipv6' ? r.frontIp6 : r.frontIp;
      add(addr, topo.port);
      add(addr, tlsPort);
    }
    if (target === 'storage' || target === 'all')
      for (const b of r.backends) add(family === 'ipv6' ? b.ip6 : b.ip, b.port);
  }
  return out;
}

/** Why the lab cannot take this fault (no namespace, IPv4-only lab, no filter tool); undefined if it can. */
export function familyDownRefusal(topo: Topology, netns: boolean, family: Family): InputError | undefined {
  if (!netns)
    return new InputError(
      'kind',
      "a lab with its own namespace: family-down sets packet filters inside it and never on the host's",
      'family-down',
      'FAULT_NEEDS_NETNS',
    );
  if (family === 'ipv6' && !topo.regions.some((r) => r.frontIp6))
    return new InputError(
      'params.family',
      'ipv4: this lab is IPv4 only (start it with --set lab.endpointProtocol=IPv4AndIPv6 for IPv6 endpoints)',
      family,
    );
  return undefined;
}

function run(ns: string, bin: string, args: string[]): void {
  try {
    execFileSync(IP_BIN, ['netns', 'exec', ns, bin, '-w', '5', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    });
  } catch (e) {
    const err = e as { stderr?: Buffer | string; message?: string };
    const why = (err.stderr?.toString() || err.message || String(e)).trim().split('\n')[0];
    throw new RunError('FAULT_FILTER', `${bin} in namespace ${ns} failed: ${why}`, { cause: e });
  }
}

/** Installs the rules (INPUT of the namespace: every lab connection arrives over its lo). */
export function applyFamilyDown(ns: string, rules: FilterRule[], comment: string): void {
  const done: FilterRule[] = [];
  try {
    for (const r of rules) {
      run(ns, r.bin, ['-I', 'INPUT', ...ruleArgs(r, comment)]);
      done.push(r);
    }
  } catch (e) {
    clearFamilyDown(ns, done, comment);
    throw e;
  }
}

/** Removes exactly the rules applyFamilyDown installed; a rule already gone is no error. */
export function clearFamilyDown(ns: string, rules: FilterRule[], comment: string): void {
  for (const r of rules) {
    try {
      run(ns, r.bin, ['-D', 'INPUT', ...ruleArgs(r, comment)]);
    } catch {
      // the namespace (and its rules) may be gone already: lab down removes everything
    }
  }
}
