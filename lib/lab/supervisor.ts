/**
 * Composes the lab: per region a real registry, its storage backends and its front; one
 * replicator, one DNS (Traffic Manager) and one identity stand-in; all sharing one LabState.
 * Owns the lifecycle (start in dependency order, stop in reverse), the registry watcher
 * (a registry process that died shows as crashed) and the fault/storage operations the API
 * exposes. Secrets are made here per start and handed to components, never logged.
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock';
import { InputError, RunError } from '../errors';
import type { PushedImage } from '../oci/push';
import { type AuthService, createAuth } from './auth';
import { type CachePatchResult, type CacheStatus, checkCachePatch, checkRuleInput } from './cache/runtime';
import { PID_DIR } from './cleanup';
import { checkDualStackNetns, type LabConfig, labSchema } from './config';
import { type DnsHandle, type DnsStatus, startDns } from './dns';
import { dnsFeaturesOff, type LabEndpoints, labEndpoints } from './endpoints';
import {
  applyFamilyDown,
  clearFamilyDown,
  type Family,
  type FilterRule,
  familyDownRefusal,
  familyRules,
} from './family-fault';
import { checkFault, type FaultInput } from './fault-spec';
import { type FrontHandle, startFront } from './front';
import type { TracedRequest } from './front/trace-log';
import { ensureLabCa, type IdentityHandle, startIdentity } from './identity';
import { frontCert, storageCert } from './region-certs';
import { type RegistryProcess, startRegistry } from './registry-process';
import { type ReplicationStatus, type ReplicatorHandle, startReplicator } from './replication';
import { type Component, createState, type Fault, type LabState, type RuntimeStorage } from './state';
import { type BackendHandle, type BackendStats, createSigner, startBackend } from './storage';
import { globalHost, type Topology, topology } from './topology';
import { checkUpstreamSeed, seedUpstream } from './upstream/seed';
import { startUpstream, type UpstreamHandle } from './upstream/server';

export interface ComponentHealth {
  name: string;
  ok: boolean;
  detail: string;
  since: number;
}

export interface LabStatus {
  name: string;
  pid: number;
  startedAt: string;
  uptimeS: number;
  /** Every component ok (a fault that takes one down makes this false, on purpose). */
  healthy: boolean;
  netns: { enabled: boolean; namespace: string | null; reason: string; dnsFeaturesOff: string[] };
  endpoints: LabEndpoints;
  /** HTTPS port of every front (registry.tlsPort); certificates from the lab CA. */
  tlsPort: number;
  components: ComponentHealth[];
  /** Global name -> addresses the DNS answers now (for a client in regions.clientRegion). */
  dnsAnswers: Record<string, string[]>;
  /** The same for AAAA: empty lists unless lab.endpointProtocol=IPv4AndIPv6. */
  dnsAnswers6?: Record<string, string[]>;
  dns: DnsStatus;
  replication: ReplicationStatus;
  faults: Fault[];
  /** Runtime settings (`backends` = active M) plus the backends started per region and the URL TTL. */
  storage: RuntimeStorage & { configuredBackends: number; urlTtlS: number };
  backends: BackendStats[];
  /** Pull-through cache: rules, runtime settings, the upstream's counters, per front breaker/hydration/counters. */
  cache: CacheStatus;
  /**
   * With `since` only (a run's start, asked once after it; the status is polled often
   * without): the requests marked x-stampede-trace that reached a front since then, on the
   * lab's clock (lib/lab/front/trace-log.ts).
   */
  traces?: TracedRequest[];
}

export interface Lab {
  state: LabState;
  topology: Topology;
  registries: Record<string, RegistryProcess>;
  backends: Record<string, BackendHandle[]>;
  fronts: Record<string, FrontHandle>;
  /** The upstream registry (upstream.enabled), else null. */
  upstream: UpstreamHandle | null;
  replicator: ReplicatorHandle;
  dns: DnsHandle;
  identity: IdentityHandle;
  auth: AuthService;
  /** Validate (same rules as `POST /faults`), apply and return the fault. */
  addFault(body: unknown): Promise<Fault>;
  /** false if no such fault. */
  clearFault(id: string): Promise<boolean>;
  /** Clears every fault; returns how many. */
  clearFaults(): Promise<number>;
  /** Partial {backends, copies, ceilingBps, selection}, validated like config; returns the new settings. */
  setStorage(patch: unknown): RuntimeStorage;
  /** Partial {"cache.coalescing": "off", "breaker.enabled": false, ...}, validated like config; the new settings. */
  setCache(patch: unknown): CachePatchResult;
  /** Adds a cache rule {downstream, upstream} (no overlap, local upstream); the rules after. */
  addCacheRule(body: unknown): string[];
  /** Removes the rule of this downstream prefix; false if none. */
  removeCacheRule(downstream: string): boolean;
  /** Pushes {image, layers} (random layers) to the upstream registry only. */
  seedUpstream(body: unknown): Promise<PushedImage>;
  /** `sinceMs` (epoch ms): backends report their peak egress since then instead of their lifetime peak. */
  status(sinceMs?: number): Promise<LabStatus>;
  stop(): Promise<void>;
}

export interface StartLabOptions {
  /** The lab's clock (rate limits, egress, pacing, health, DNS monitor); default the system clock. */
  clock?: Clock;
  netns: boolean;
  /** Overrides lab.octet (tests). */
  octet?: number;
  log?: (line: string) => void;
  /** Why (not) a namespace, for status. */
  netnsReason?: string;
  /** Registry watcher period. */
  watchMs?: number;
}

const STORAGE_KEYS = ['backends', 'copies', 'ceilingBps', 'selection'] as const;

/**
 * Validates a runtime storage change. `backends` (M) activates the first M of the
 * storage.backends started per region (1..storage.backends); copies live on distinct
 * active backends, so copies <= backends after the change.
 */
export function checkStoragePatch(patch: unknown, cfg: LabConfig, current: RuntimeStorage): RuntimeStorage {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    throw new InputError('storage', 'an object {backends?, copies?, ceilingBps?, selection?}', patch);
  const next: RuntimeStorage = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (!(STORAGE_KEYS as readonly string[]).includes(k))
      throw new InputError(`storage.${k}`, `one of ${STORAGE_KEYS.join(', ')}`, k, 'UNKNOWN_PARAM');
    const key = k as (typeof STORAGE_KEYS)[number];
    if (key === 'backends') {
      next.backends = labSchema.storage.backends.check(v, 'storage.backends');
      if (next.backends > cfg.storage.backends)
        throw new InputError(
          'storage.backends',
          `1..${cfg.storage.backends} (the backends started per region; more need a restart with --set storage.backends=N)`,
          next.backends,
        );
    } else if (key === 'copies') next.copies = labSchema.storage.copies.check(v, 'storage.copies');
    else if (key === 'ceilingBps')
      next.ceilingBps = labSchema.storage.ceilingBps.check(v, 'storage.ceilingBps');
    else next.selection = labSchema.storage.selection.check(v, 'storage.selection');
  }
  if (next.copies > next.backends) {
    const field = 'copies' in patch ? 'storage.copies' : 'storage.backends';
    throw new InputError(
      field,
      field === 'storage.copies'
        ? `at most the active backends (${next.backends}): copies live on distinct backends`
        : `at least storage.copies (${next.copies}): copies live on distinct backends`,
      field === 'storage.copies' ? next.copies : next.backends,
    );
  }
  return next;
}

let faultSeq = 0;

export async function startLab(cfg: LabConfig, opts: StartLabOptions): Promise<Lab> {
  const log = opts.log ?? (() => {});
  checkDualStackNetns(cfg, opts.netns, opts.netnsReason || 'lab.netns=off');
  const topo = topology(cfg, { netns: opts.netns, octet: opts.octet ?? cfg.lab.octet });
  const startedAt = Date.now();
  mkdirSync(topo.stateDir, { recursive: true });
  // A fresh lab every start: stale registry storage from an earlier run would make
  // replication and copy placement disagree with the new lab's state.
  rmSync(join(topo.stateDir, 'regions'), { recursive: true, force: true });
  rmSync(join(topo.stateDir, 'upstream'), { recursive: true, force: true });
  const pidDir = join(topo.stateDir, PID_DIR);
  mkdirSync(pidDir, { recursive: true });
  const state = createState(cfg, topo);
  const health = (name: string, ok: boolean, detail: string) => {
    const prev = state.components.get(name);
    state.components.set(name, { ok, detail, since: prev && prev.ok === ok ? prev.since : Date.now() });
  };

  const started: Component[] = [];
  const registries: Record<string, RegistryProcess> = {};
  const backends: Record<string, BackendHandle[]> = {};
  const fronts: Record<string, FrontHandle> = {};
  let upstream: UpstreamHandle | null = null;
  const writePid = (file: string, pid: number | undefined) => {
    if (pid) writeFileSync(join(pidDir, file), `${pid}\n`);
  };

  try {
    // Secrets: fresh per start, handed to the components, never logged or written out.
    const authSecret = randomBytes(32);
    const signer = createSigner(randomBytes(32));
    const uploadSecret = randomBytes(32).toString('hex');
    // One lab CA (shared with the identity stand-in); each front gets a certificate for all
    // of its region's names, so SDK clients reach https://<reg>.<domain>:<tlsPort> directly.
    const labCa = ensureLabCa(join(topo.stateDir, 'ca'));

    log('starting identity stand-in');
    const identity = await startIdentity(state, { clock: opts.clock });
    started.push(identity);
    health('identity', true, `serving ${identity.url}`);
    const auth = createAuth(state, {
      secret: authSecret,
      verifyAadToken: (jwt) => identity.verify(jwt),
      clock: opts.clock,
    });

    if (cfg.upstream.enabled) {
      log(`starting upstream registry ${topo.upstream.host} on ${topo.upstream.ip}:${topo.upstream.port}`);
      upstream = await startUpstream(state, { clock: opts.clock });
      started.push(upstream);
      writePid('registry-upstream.pid', upstream.registry.pid);
    }

    for (const region of topo.regions) {
      log(`starting registry ${region.name} on ${region.registryIp}:${region.registryPort}`);
      const reg = await startRegistry({
        name: region.name,
        ip: region.registryIp,
        port: region.registryPort,
        dir: join(topo.stateDir, 'regions', region.name, 'registry'),
        notifyUrl: region.notifyUrl,
        httpSecret: uploadSecret,
      });
      registries[region.name] = reg;
      started.push({ name: `registry:${region.name}`, stop: () => reg.stop() });
      writePid(`registry-${region.name}.pid`, reg.pid);
      health(`registry:${region.name}`, true, `running pid ${reg.pid} at ${reg.url}`);
    }

    for (const region of topo.regions) {
      const reg = registries[region.name] as RegistryProcess;
      const list: BackendHandle[] = [];
      const storageTls = cfg.storage.tls ? storageCert(labCa, region) : undefined;
      for (const addr of region.backends) {
        const b = await startBackend(state, addr, {
          registryRoot: reg.root,
          signer,
          tls: storageTls,
          clock: opts.clock,
        });
        list.push(b);
        started.push(b);
      }
      backends[region.name] = list;
      log(`starting front ${region.name} on ${region.frontIp}:${topo.port}`);
      const front = await startFront(state, region, {
        registryUrl: reg.url,
        registryRoot: reg.root,
        auth,
        backends: list,
        signer,
        tls: frontCert(labCa, region, cfg.registry.names, topo.domain),
        clock: opts.clock,
      });
      fronts[region.name] = front;
      started.push(front);
      health(`front:${region.name}`, true, `serving ${region.frontIp}:${topo.port}`);
    }

    log('starting replicator');
    const replicator = await startReplicator(state, {
      registries: Object.fromEntries(
        Object.entries(registries).map(([name, r]) => [name, { url: r.url, root: r.root }]),
      ),
      clock: opts.clock,
    });
    started.push(replicator);
    for (const region of topo.regions)
      if (replicator.notifyUrl(region.name) !== region.notifyUrl)
        log(
          `warning: replicator listens at ${replicator.notifyUrl(region.name)}, registry ${region.name} notifies ${region.notifyUrl}`,
        );
    if (!state.components.has('replicator')) health('replicator', true, 'running');

    log(`starting DNS on ${topo.dnsIp}:${topo.dnsPort}`);
    const dns = await startDns(state, { clock: opts.clock });
    started.push(dns);
    if (!state.components.has('dns')) health('dns', true, `serving ${topo.dnsIp}:${topo.dnsPort}`);

    // The watcher: a registry that died (not by our own registry-kill fault) shows as crashed.
    const watch = () => {
      for (const [name, reg] of Object.entries(registries)) {
        const killedBy = [...state.faults.values()].find(
          (f) => f.kind === 'registry-kill' && f.region === name,
        );
        if (killedBy) health(`registry:${name}`, false, `killed by fault ${killedBy.id}`);
        else if (!reg.running()) health(`registry:${name}`, false, `crashed: process ${reg.pid} exited`);
        else health(`registry:${name}`, true, `running pid ${reg.pid} at ${reg.url}`);
      }
      // Backends report themselves as storage:<id>; fill in only for one that does not.
      for (const list of Object.values(backends))
        for (const b of list)
          if (!state.components.has(`storage:${b.addr.id}`))
            health(`backend:${b.addr.id}`, b.healthy(), `${b.addr.host} ${b.addr.ip}:${b.addr.port}`);
    };
    const timer = setInterval(watch, opts.watchMs ?? 500);
    timer.unref();

    const endpoints = labEndpoints(cfg, topo);
    endpoints.identity = identity.url;
    const registryNames = cfg.registry.names;

    const restartRegistry = async (region: string) => {
      const reg = registries[region];
      if (!reg) return;
      await reg.restart();
      writePid(`registry-${region}.pid`, reg.pid);
      watch();
    };

    // family-down faults' packet-filter rules, by fault id (removed on clear; lab down
    // deletes the namespace and every rule in it).
    const filterRules = new Map<string, FilterRule[]>();
    let stopping: Promise<void> | undefined;
    const lab: Lab = {
      state,
      topology: topo,
      registries,
      backends,
      fronts,
      upstream,
      replicator,
      dns,
      identity,
      auth,
      async addFault(body) {
        const input: FaultInput = checkFault(body, topo, registryNames);
        const fault: Fault = { ...input, id: `f${++faultSeq}`, since: Date.now() };
        if (fault.kind === 'family-down') {
          const refusal = familyDownRefusal(topo, opts.netns, fault.params.family as Family);
          if (refusal) throw refusal;
          const rules = familyRules(topo, fault, cfg.registry.tlsPort);
          applyFamilyDown(topo.namespace, rules, `stampede-${fault.id}`);
          filterRules.set(fault.id, rules);
        }
        state.faults.set(fault.id, fault);
        log(`fault ${fault.id} ${fault.kind}${fault.region ? ` in ${fault.region}` : ''} injected`);
        if (fault.kind === 'registry-kill' && fault.region) {
          await registries[fault.region]?.kill();
          watch();
        }
        return fault;
      },
      async clearFault(id) {
        const fault = state.faults.get(id);
        if (!fault) return false;
        state.faults.delete(id);
        const rules = filterRules.get(id);
        if (rules) {
          clearFamilyDown(topo.namespace, rules, `stampede-${id}`);
          filterRules.delete(id);
        }
        log(`fault ${id} ${fault.kind} cleared`);
        const region = fault.region;
        if (fault.kind === 'registry-kill' && region) {
          const still = [...state.faults.values()].some(
            (f) => f.kind === 'registry-kill' && f.region === region,
          );
          if (!still) await restartRegistry(region);
        }
        return true;
      },
      async clearFaults() {
        const ids = [...state.faults.keys()];
        for (const id of ids) await lab.clearFault(id);
        return ids.length;
      },
      setStorage(patch) {
        state.storage = checkStoragePatch(patch, cfg, state.storage);
        log(
          `storage: backends=${state.storage.backends} copies=${state.storage.copies} ceilingBps=${state.storage.ceilingBps} selection=${state.storage.selection}`,
        );
        return { ...state.storage };
      },
      setCache(patch) {
        const next = checkCachePatch(patch, state.cache);
        Object.assign(state.cache, next.settings);
        // New limits start from a full bucket, as a fresh rate window would.
        if (next.changed.some((k) => k.startsWith('upstream.rateLimit.'))) upstream?.resetLimits();
        log(`cache: ${next.changed.map((k) => `${k}`).join(', ') || 'no change'}`);
        return next;
      },
      addCacheRule(body) {
        const rule = checkRuleInput(body, state.cache.rules, topo.domain);
        if (!upstream && rule.upstreamHost.startsWith('upstream.'))
          throw new InputError(
            'upstream',
            `a lab started with --set upstream.enabled=true (this one has no upstream registry)`,
            rule.upstreamHost,
            'NO_UPSTREAM',
          );
        state.cache.rules = [...state.cache.rules, rule];
        log(`cache rule ${rule.downstream} -> ${rule.upstreamHost}/${rule.upstreamRepo} added`);
        return state.cache.rules.map((r) => `${r.downstream}=${r.upstreamHost}/${r.upstreamRepo}`);
      },
      removeCacheRule(downstream) {
        const before = state.cache.rules.length;
        state.cache.rules = state.cache.rules.filter((r) => r.downstream !== downstream);
        return state.cache.rules.length < before;
      },
      async seedUpstream(body) {
        const input = checkUpstreamSeed(body);
        if (!upstream)
          throw new InputError(
            'upstream.enabled',
            'a lab started with --set upstream.enabled=true',
            false,
            'NO_UPSTREAM',
          );
        const pushed = await seedUpstream(upstream.url, input);
        log(`seeded ${input.image} (${pushed.manifestDigest}) into the upstream`);
        return pushed;
      },
      async status(sinceMs) {
        watch();
        const components = [...state.components.entries()]
          .map(([name, c]) => ({ name, ...c }))
          .sort((a, b) => a.name.localeCompare(b.name));
        const dnsAnswers: Record<string, string[]> = {};
        const dnsAnswers6: Record<string, string[]> = {};
        for (const reg of registryNames) {
          const name = globalHost(reg, topo.domain);
          dnsAnswers[name] = dns.resolve(name);
          dnsAnswers6[name] = dns.resolve6(name);
        }
        return {
          name: cfg.lab.name,
          pid: process.pid,
          startedAt: new Date(startedAt).toISOString(),
          uptimeS: Math.round((Date.now() - startedAt) / 1000),
          healthy: components.every((c) => c.ok),
          netns: {
            enabled: opts.netns,
            namespace: opts.netns ? topo.namespace : null,
            reason: opts.netnsReason ?? '',
            dnsFeaturesOff: dnsFeaturesOff(opts.netns, topo),
          },
          endpoints,
          tlsPort: cfg.registry.tlsPort,
          components,
          dnsAnswers,
          dnsAnswers6,
          dns: dns.status(),
          replication: replicator.status(),
          faults: [...state.faults.values()],
          storage: {
            ...state.storage,
            configuredBackends: cfg.storage.backends,
            urlTtlS: cfg.storage.urlTtlS,
          },
          backends: Object.values(backends).flatMap((l) => l.map((b) => b.stats(sinceMs))),
          cache: {
            rules: state.cache.rules.map((r) => `${r.downstream}=${r.upstreamHost}/${r.upstreamRepo}`),
            settings: {
              upstream: state.cache.upstream,
              cache: state.cache.cache,
              breaker: state.cache.breaker,
            },
            upstream: upstream?.status() ?? null,
            fronts: Object.fromEntries(Object.entries(fronts).map(([name, f]) => [name, f.cache.status()])),
          },
          ...(sinceMs !== undefined && {
            traces: Object.values(fronts).flatMap((f) => f.traces.since(sinceMs)),
          }),
        };
      },
      stop() {
        stopping ??= (async () => {
          clearInterval(timer);
          await stopAll(started, log);
          rmSync(pidDir, { recursive: true, force: true });
        })();
        return stopping;
      },
    };
    return lab;
  } catch (e) {
    log(`start failed: ${(e as Error).message}; stopping what started`);
    await stopAll(started, log);
    rmSync(pidDir, { recursive: true, force: true });
    if (e instanceof RunError || e instanceof InputError) throw e;
    throw new RunError('LAB_START', `lab ${cfg.lab.name} did not start: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Reverse start order; one component failing to stop must not leave the others running. */
async function stopAll(started: Component[], log: (line: string) => void): Promise<void> {
  for (const c of started.slice().reverse()) {
    try {
      await Promise.race([
        c.stop(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('stop timed out after 10 s')), 10_000).unref(),
        ),
      ]);
    } catch (e) {
      log(`stopping ${c.name} failed: ${(e as Error).message}`);
    }
  }
  started.length = 0;
}
