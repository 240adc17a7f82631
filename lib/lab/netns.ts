/**
 * The lab's own network namespace: `stampede-<name>`, with only `lo` in it, so everything the
 * lab binds is unreachable from outside the machine and a client started with `ip netns exec`
 * resolves names through the lab's DNS with its own stock resolver (`ip netns exec`
 * bind-mounts /etc/netns/<ns>/resolv.conf and hosts over /etc's for that process).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunError } from '../errors';
import type { Topology } from './topology';

export const IP_BIN = process.env.STAMPEDE_IP_BIN ?? 'ip';
const NETNS_ETC = '/etc/netns';
const NETNS_RUN = '/run/netns';

function ip(args: string[], timeoutMs = 5000): string {
  return execFileSync(IP_BIN, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface NetnsDecision {
  netns: boolean;
  /** Why the namespace is (not) used, for `lab up` and `lab status`. */
  reason: string;
}

/**
 * auto: use a namespace when we are root and `ip netns add` really works (probed with a
 * throw-away namespace: containers often forbid it even to root).
 */
export function decideNetns(mode: 'auto' | 'on' | 'off'): NetnsDecision {
  if (mode === 'off') return { netns: false, reason: 'lab.netns=off' };
  const why = netnsUnavailable();
  if (why === undefined) return { netns: true, reason: 'root and `ip netns` available' };
  if (mode === 'on') throw new RunError('NETNS_UNAVAILABLE', `lab.netns=on but ${why}`);
  return { netns: false, reason: why };
}

function netnsUnavailable(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root';
  const probe = `stampede-probe-${process.pid}`;
  try {
    ip(['netns', 'add', probe]);
  } catch (e) {
    return `\`ip netns add\` failed: ${firstLine(e)}`;
  }
  try {
    ip(['netns', 'del', probe]);
  } catch {
    // the probe is gone with our process' view anyway; a leftover would show in `ip netns list`
  }
  return undefined;
}

function firstLine(e: unknown): string {
  const err = e as { stderr?: string; message?: string };
  return (err.stderr || err.message || String(e)).trim().split('\n')[0] ?? '';
}

export function namespaceExists(ns: string): boolean {
  return existsSync(join(NETNS_RUN, ns));
}

export function resolvConf(topo: Topology): string {
  // No search domain: lab names are always fully qualified. Short timeouts so a client whose
  // lab DNS is down fails fast instead of hanging a test.
  return `# written by stampede lab for ${topo.namespace}\nnameserver ${topo.dnsIp}\noptions timeout:2 attempts:2\n`;
}

export function hostsFile(): string {
  // Deliberately only localhost: every lab name must come from the lab DNS, or failover and
  // flapping would be invisible to clients.
  return '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
}

/** Create the namespace (replacing a stale one), bring lo up, write its resolv.conf and hosts. */
export function setupNamespace(topo: Topology): void {
  const ns = topo.namespace;
  if (namespaceExists(ns)) teardownNamespace(ns);
  ip(['netns', 'add', ns]);
  try {
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    // With lo up, the kernel's local route covers all of 127.0.0.0/8, so every lab address
    // can be bound without adding it. Check rather than assume (some kernels/configs differ).
    const local = ip(['-n', ns, 'route', 'show', 'table', 'local']);
    if (!/^local 127\.0\.0\.0\/8 dev lo/m.test(local)) {
      for (const addr of labAddresses(topo)) ip(['-n', ns, 'addr', 'add', `${addr}/32`, 'dev', 'lo']);
    }
    // Dual stack: IPv6 has no 127/8-like local range, so every address is added (nodad: usable
    // at once, with no duplicate detection to wait for on a lo nothing else shares).
    for (const addr of labAddresses6(topo))
      ip(['-n', ns, 'addr', 'add', `${addr}/128`, 'dev', 'lo', 'nodad']);
    const etc = join(NETNS_ETC, ns);
    mkdirSync(etc, { recursive: true });
    writeFileSync(join(etc, 'resolv.conf'), resolvConf(topo));
    writeFileSync(join(etc, 'hosts'), hostsFile());
  } catch (e) {
    teardownNamespace(ns);
    throw new RunError('NETNS_SETUP', `setting up namespace ${ns} failed: ${firstLine(e)}`, { cause: e });
  }
}

/** Every address the lab binds (for namespaces whose lo does not route 127/8 by itself). */
export function labAddresses(topo: Topology): string[] {
  const set = new Set<string>([topo.dnsIp, topo.identityIp]);
  for (const r of topo.regions) {
    set.add(r.frontIp);
    set.add(r.registryIp);
    set.add(new URL(r.notifyUrl).hostname);
    for (const b of r.backends) set.add(b.ip);
  }
  return [...set];
}

/** Every IPv6 address the lab binds (lab.endpointProtocol=IPv4AndIPv6; none otherwise). */
export function labAddresses6(topo: Topology): string[] {
  const out: string[] = topo.identityIp6 ? [topo.identityIp6] : [];
  for (const r of topo.regions) {
    if (r.frontIp6) out.push(r.frontIp6);
    for (const b of r.backends) if (b.ip6) out.push(b.ip6);
  }
  return out;
}

/** Pids of every process inside the namespace. */
export function namespacePids(ns: string): number[] {
  if (!namespaceExists(ns)) return [];
  try {
    return ip(['netns', 'pids', ns])
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

/** Remove the namespace and its /etc/netns dir. Idempotent; never throws for "already gone". */
export function teardownNamespace(ns: string): void {
  if (namespaceExists(ns)) {
    try {
      ip(['netns', 'del', ns]);
    } catch (e) {
      if (namespaceExists(ns))
        throw new RunError('NETNS_TEARDOWN', `could not delete namespace ${ns}: ${firstLine(e)}`);
    }
  }
  rmSync(join(NETNS_ETC, ns), { recursive: true, force: true });
}

/** Lines of /proc/mounts that belong to the namespace (its nsfs mount under /run/netns). */
export function namespaceMounts(ns: string): string[] {
  try {
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .filter((l) => l.includes(`/netns/${ns} `) || l.includes(`/netns/${ns}/`));
  } catch {
    return [];
  }
}

/** Prefix that runs a command inside the namespace. */
export const nsExec = (ns: string): string[] => [IP_BIN, 'netns', 'exec', ns];
