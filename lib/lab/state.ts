/**
 * The lab's live, mutable state, shared by reference between the in-process components
 * (fronts, storage backends, replicator, DNS, API). The API and `lab fault` change it;
 * components read it on every request, so a change applies without a restart.
 */
import type { CacheRule } from './cache/rules';
import { checkCacheRules } from './cache/rules';
import type { LabConfig } from './config';
import type { Topology } from './topology';

export type FaultKind =
  | 'region-down' // the region's front refuses/fails everything, deep health fails
  | 'storage-fail' // a subset of a region's backends answer 500 (registries homed there fail over)
  | 'storage-slow' // a subset of backends add latency / lower their ceiling
  | 'replication-pause' // nothing replicates into (or out of) a region until cleared
  | 'replication-lag' // extra lag added to every replication into a region
  | 'dns-flap' // the global name alternates answers between regions
  | 'replica-exclude' // region out of global routing (az acr replication update --global-endpoint-routing false)
  | 'front-latency' // the region's front adds latency to every request
  | 'front-errors' // the region's front fails a fraction of requests with 500
  | 'registry-kill' // the region's registry process is killed (and restarted on clear)
  | 'health-monitor-crash' // the deep-health monitor itself breaks: it must fail open
  | 'throttle' // the region's front answers a fraction of API requests 429 (never a failover)
  | 'family-down' // one address family (ipv4|ipv6) stops reaching the fronts and/or storage
  | 'upstream-slow' // the upstream registry adds latency to every request
  | 'upstream-5xx' // the upstream answers a fraction of requests 503
  | 'upstream-down'; // the upstream drops every connection (no answer at all)

export interface Fault {
  id: string;
  kind: FaultKind;
  region?: string;
  /** Backend indexes within the region (storage-fail, storage-slow). */
  backends?: number[];
  /** Kind-specific numbers: latencyMs, errorRate (0..1), lagS, ceilingBps, regions for dns-flap... */
  params: Record<string, number | string | string[]>;
  since: number;
}

export interface RuntimeStorage {
  /** Active backends per region (M, 1..storage.backends): placement uses the first M of them. */
  backends: number;
  copies: number;
  ceilingBps: number;
  selection: LabConfig['storage']['selection'];
}

/**
 * Pull-through cache settings that change between runs without a restart (PUT /cache,
 * `lab cache-rule`): the rules, the upstream's limit and pace, coalescing, the breaker.
 */
export interface RuntimeCache {
  rules: CacheRule[];
  upstream: LabConfig['upstream'];
  cache: Omit<LabConfig['cache'], 'rules'>;
  breaker: LabConfig['breaker'];
}

export interface LabState {
  readonly config: LabConfig;
  readonly topology: Topology;
  /** Copy count, ceilings and selection can change between runs without a restart. */
  storage: RuntimeStorage;
  faults: Map<string, Fault>;
  cache: RuntimeCache;
  /** Component health as last reported by the component itself (for `lab status`). */
  components: Map<string, { ok: boolean; detail: string; since: number }>;
}

export function createState(config: LabConfig, topology: Topology): LabState {
  return {
    config,
    topology,
    storage: {
      backends: config.storage.backends,
      copies: config.storage.copies,
      ceilingBps: config.storage.ceilingBps,
      selection: config.storage.selection,
    },
    faults: new Map(),
    cache: {
      rules: checkCacheRules(config.cache.rules, config.registry.domain, 'cache.rules'),
      upstream: structuredClone(config.upstream),
      cache: { coalescing: config.cache.coalescing, hydrationWorkers: config.cache.hydrationWorkers },
      breaker: { ...config.breaker },
    },
    components: new Map(),
  };
}

/** The backends placement may use now: the first `storage.backends` (runtime M) of the region's. */
export function activeBackends<T>(state: LabState, backends: readonly T[]): T[] {
  return backends.slice(0, Math.max(1, Math.min(state.storage.backends, backends.length)));
}

export function faultsOf(state: LabState, kind: FaultKind, region?: string): Fault[] {
  return [...state.faults.values()].filter(
    (f) => f.kind === kind && (region === undefined || f.region === region),
  );
}

/** Every lab component (server or worker) has this shape, so the supervisor treats them alike. */
export interface Component {
  readonly name: string;
  stop(): Promise<void>;
}
