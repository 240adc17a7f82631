/**
 * Parameters of `stampede sim failover`: every default, unit and bound lives here (the
 * sources of each default are in README.md next to this file). The lab's own names are
 * echoed in the docs so a lab run and a simulated run can be set up alike.
 */
import { bool, type Infer, int, num, oneOf, str, strList } from '../../../lib/config/schema';

export const FAULT_KINDS = [
  'region-down',
  'region-unreachable',
  'storage-fail',
  'front-errors',
  'throttle',
  'health-monitor-crash',
  'replica-exclude',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const CACHE_MODES = ['none', 'honour', 'cap', 'fixed'] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

const cacheLayer = (doc: string, mode: CacheMode, ttlS: number) => ({
  mode: oneOf(CACHE_MODES, {
    default: mode,
    doc: `${doc}: none (absent), honour (keeps the upstream's remaining TTL), cap (min of upstream TTL and ttlS), fixed (ttlS whatever the record says, like k6 dns.ttl)`,
  }),
  ttlS: num({ default: ttlS, min: 0, unit: 's', doc: `${doc}: its TTL (cap or fixed modes)` }),
  firstExpiryS: num({
    default: 0,
    min: 0,
    unit: 's',
    doc: `${doc}: 0 = its first fills have a random age; > 0 = every first fill is held until this moment (pins the phase to a measured run: the twin of stampede run failover sets it to k6's last lookup before the fault + its TTL)`,
  }),
});

export const failoverSchema = {
  run: {
    durationS: num({ default: 1500, gt: 0, unit: 's', doc: 'simulated time' }),
    binS: num({ default: 10, gt: 0, unit: 's', doc: 'width of the region-share time bins' }),
  },
  regions: {
    names: strList({
      default: ['eastus', 'westus'],
      pattern: /^[a-z0-9-]+$/,
      doc: 'geo-replicas in the global endpoint (Traffic Manager profile), in latency order after the client region',
    }),
    clientRegion: str({ default: 'eastus', doc: 'where the fleet runs: its lowest-latency replica' }),
  },
  fault: {
    kind: oneOf(FAULT_KINDS, {
      default: 'region-down',
      doc: 'what breaks: region-down (front answers 503, deep health fails at once), region-unreachable (probes and requests time out), storage-fail (home storage fails; deep health after the sustain window), front-errors / throttle (a fraction of requests fail with 500 / 429; deep health stays healthy), health-monitor-crash (fails open), replica-exclude (global-endpoint-routing false: purged at once)',
    }),
    region: str({ default: 'eastus', doc: 'the faulted region' }),
    startS: num({ default: 300, min: 0, unit: 's', doc: 'when the fault starts' }),
    clearS: num({ default: 900, gt: 0, unit: 's', doc: 'when the fault is cleared (failback starts)' }),
    rate: num({ default: 1, min: 0, max: 1, doc: 'front-errors / throttle: fraction of requests that fail' }),
  },
  health: {
    sustainS: num({
      default: 60,
      min: 0,
      unit: 's',
      doc: 'a dependency must fail this long before deep health reports unhealthy (lab health.sustainS)',
    }),
    checkIntervalS: num({
      default: 5,
      gt: 0,
      unit: 's',
      doc: "how often the region's health monitor checks its dependencies (lab health.checkIntervalS)",
    }),
    crashDuringFault: bool({
      default: false,
      doc: 'the health monitor is broken for the whole fault window as well (it must fail open)',
    }),
  },
  trafficManager: {
    probeIntervalS: num({ default: 30, gt: 0, unit: 's', doc: 'probe interval (Azure: 30 or 10)' }),
    probeTimeoutS: num({
      default: 10,
      gt: 0,
      unit: 's',
      doc: 'probe timeout (Azure: 5-10 s, below the interval)',
    }),
    toleratedFailures: int({
      default: 3,
      min: 0,
      max: 9,
      doc: 'consecutive failed probes tolerated: the next failure degrades the endpoint',
    }),
    agents: int({ default: 1, min: 1, max: 16, doc: 'probing agents, each with its own probe clock' }),
    agentsToDegrade: int({
      default: 1,
      min: 1,
      max: 16,
      doc: 'the endpoint is Degraded while at least this many agents see it Degraded',
    }),
    probePhase: oneOf(['random', 'fixed'], {
      default: 'random',
      doc: 'random: each agent probes at a uniform random offset in [0, interval); fixed: at probeOffsetS (+ i*interval/agents)',
    }),
    probeOffsetS: num({ default: 0, min: 0, unit: 's', doc: 'first probe time with probePhase=fixed' }),
  },
  dns: {
    ttlS: num({ default: 30, min: 0, unit: 's', doc: 'TTL the global name is answered with (lab dns.ttlS)' }),
  },
  cache: {
    client: cacheLayer("the client's own cache (k6 dns.ttl is fixed; Go has none)", 'none', 5),
    node: cacheLayer('the node-local DNS cache (NodeLocal DNSCache: cap 30)', 'none', 30),
    cluster: cacheLayer('the cluster DNS cache (CoreDNS cache plugin: cap 30)', 'cap', 30),
    clientsPerNode: int({ default: 10, min: 1, doc: 'clients sharing one node-local cache' }),
    clusterReplicas: int({
      default: 2,
      min: 1,
      max: 64,
      doc: 'cluster DNS replicas (CoreDNS pods), each with its own cache; every query goes to one at random',
    }),
  },
  clients: {
    count: int({
      default: 200,
      min: 1,
      max: 100_000,
      doc: 'clients pulling continuously through the global name',
    }),
    pullS: num({
      default: 2,
      gt: 0,
      unit: 's',
      doc: 'duration of a successful pull (it stays on its region)',
    }),
    thinkS: num({ default: 1, min: 0, unit: 's', doc: 'pause between the end of one request and the next' }),
    failS: num({ default: 0.1, gt: 0, unit: 's', doc: 'how long a request answered with an error takes' }),
    timeoutS: num({
      default: 30,
      gt: 0,
      unit: 's',
      doc: 'client request timeout (region-unreachable requests end here)',
    }),
    select: oneOf(['first', 'random'], {
      default: 'first',
      doc: 'which address a client uses when an answer has several (all-degraded answers all)',
    }),
  },
};

export type FailoverParams = Infer<typeof failoverSchema>;
