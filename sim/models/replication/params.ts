/**
 * Parameters of `stampede sim replication`: every default, unit and bound lives here (the
 * sources and ranges are in README.md next to this file). The replication knobs carry the
 * lab's names (lab `replication.baseLagS`, `bandwidthBps`, `jitterS`, `concurrency`;
 * `dns.flapIntervalS`) so a lab run and its simulated twin are set up alike.
 */
import { bool, type Infer, int, num, numList, oneOf, str, strList } from '../../../lib/config/schema';

export const STRATEGIES = ['none', 'retry', 'fixed-sleep', 'wait-webhook', 'pin-home'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const MODES = ['race', 'overwrite', 'delete'] as const;
export type Mode = (typeof MODES)[number];

export const MITIGATIONS = ['none', 'regional', 'dns-pin', 'retry-push'] as const;
export type Mitigation = (typeof MITIGATIONS)[number];

export const RESOLVERS = ['per-request', 'per-connection', 'ttl'] as const;
export type Resolver = (typeof RESOLVERS)[number];

export const replicationSchema = {
  mode: oneOf(MODES, {
    default: 'race',
    doc: 'race: every push is a new tag and pullers race its replication; overwrite: every push is followed by a re-push of the same tag with a new digest after overwrite.gapS (pullers pull after the second ack); delete: every push is deleted at its home after delete.gapS (pullers pull after the delete)',
  }),
  regions: {
    names: strList({
      default: ['eastus', 'westeurope', 'westus'],
      pattern: /^[a-z0-9-]+$/,
      doc: 'geo-replicas of the registry',
    }),
    home: str({ default: 'eastus', doc: 'the replica the pusher pushes to (its regional endpoint)' }),
  },
  image: {
    bytes: num({ default: 200e6, gt: 0, unit: 'B', doc: 'bytes each push adds (fresh layers every push)' }),
  },
  pushes: {
    count: int({ default: 100, min: 1, max: 1_000_000, doc: 'pushes in the run' }),
    perMinute: num({ default: 6, gt: 0, doc: 'push rate (one pusher in the home region)' }),
    arrival: oneOf(['fixed', 'poisson'], {
      default: 'fixed',
      doc: 'fixed: one push every 60/perMinute s; poisson: exponential gaps of that mean',
    }),
    uploadBps: num({
      default: 0,
      min: 0,
      unit: 'B/s',
      doc: "the pusher's upload rate to the home replica (0 = instant); sets push latency, not replication",
    }),
  },
  replication: {
    baseLagS: num({
      default: 1,
      min: 0,
      unit: 's',
      doc: 'fixed part of replication lag per pushed artifact (lab replication.baseLagS)',
    }),
    bandwidthBps: num({
      default: 100e6,
      min: 0,
      unit: 'B/s',
      doc: 'replication bandwidth into each target region, shared by its copies in flight (lab replication.bandwidthBps; 0 = unlimited)',
    }),
    jitterS: num({
      default: 2,
      min: 0,
      unit: 's',
      doc: 'uniform random extra lag in [0, jitterS) per push and target (lab replication.jitterS)',
    }),
    concurrency: int({
      default: 2,
      min: 1,
      max: 1000,
      doc: 'copies in flight per target region; the rest wait in a FIFO (lab replication.concurrency)',
    }),
    extraLagQuantilesS: numList({
      default: [],
      minLength: 0,
      min: 0,
      doc: 'a measured extra-lag distribution (s), given as its quantiles at evenly spaced probabilities 0, 1/(n-1), ..., 1 (non-decreasing): each copy adds one draw by inverse transform, linear between quantiles, on top of baseLagS + jitter (a lab twin passes the lab lags measured beyond base + bytes/bandwidth; empty: none)',
    }),
  },
  webhook: {
    delayS: num({
      default: 0.5,
      min: 0,
      unit: 's',
      doc: "from content landing in a replica to that replica's push webhook reaching the subscriber",
    }),
  },
  pullers: {
    count: int({
      default: 1000,
      min: 1,
      max: 10_000_000,
      doc: 'pullers; puller i races push i mod pushes.count, in region i mod (number of puller regions)',
    }),
    regions: strList({
      default: [],
      minLength: 0,
      pattern: /^[a-z0-9-]+$/,
      doc: 'regions the pullers pull in, each through its regional replica (empty: every region but the home)',
    }),
    offsetS: num({
      default: 0,
      min: 0,
      unit: 's',
      doc: 'first pull this long after the push is acknowledged',
    }),
    offsets: numList({
      default: [],
      minLength: 0,
      min: 0,
      doc: 'offsets to sweep (s): each strategy point reports its failure share per offset (empty: offsetS alone)',
    }),
    spreadS: num({
      default: 0,
      min: 0,
      unit: 's',
      doc: 'each puller starts at offset + U[0, spreadS) (pods are not scheduled at one instant)',
    }),
    crossRegionS: num({
      default: 0.2,
      min: 0,
      unit: 's',
      doc: 'extra time of a manifest request served by another region (pin-home, the proxy design)',
    }),
  },
  strategies: strList({
    default: [...STRATEGIES],
    doc: `pull strategies to compare, one point each: ${STRATEGIES.join(', ')}`,
  }),
  retry: {
    baseS: num({ default: 1, gt: 0, unit: 's', doc: 'first back-off (doubles each attempt)' }),
    capS: num({ default: 30, gt: 0, unit: 's', doc: 'back-off cap' }),
    jitter: num({
      default: 0.5,
      min: 0,
      max: 1,
      doc: 'share of each back-off drawn uniformly (1 = full jitter)',
    }),
    maxAttempts: int({ default: 12, min: 1, max: 1000, doc: 'attempts before the puller gives up' }),
  },
  fixedSleep: {
    sleepS: num({
      default: 10,
      min: 0,
      unit: 's',
      doc: 'fixed-sleep: the single pull waits this long first',
    }),
  },
  overwrite: {
    gapS: num({
      default: 5,
      min: 0,
      unit: 's',
      doc: 'overwrite mode: re-push of the same tag this long after the first ack',
    }),
  },
  delete: {
    gapS: num({
      default: 30,
      min: 0,
      unit: 's',
      doc: 'delete mode: the tag is deleted at its home this long after its push ack',
    }),
  },
  consistency: {
    proxyPull: bool({
      default: false,
      doc: 'design (a): a replica that lacks the tag proxies the pull to the home replica (costs pullers.crossRegionS)',
    }),
    ackReplicas: int({
      default: 1,
      min: 1,
      max: 100,
      doc: 'design (b): the push is acknowledged once this many replicas hold it (1 = ACR today: the home alone)',
    }),
  },
  scatter: {
    pushes: int({
      default: 20_000,
      min: 0,
      max: 10_000_000,
      doc: 'simulated pushes through the flapping global name per mitigation (0: skip)',
    }),
    layers: int({
      default: 5,
      min: 1,
      max: 1000,
      doc: 'layers per push: k = 2 x layers + 1 sub-requests (POST, PUT per layer, then the manifest)',
    }),
    pushS: num({
      default: 0.5,
      min: 0,
      unit: 's',
      doc: 'T: time from the first to the last sub-request, evenly spaced (the mean T when pushSigma > 0)',
    }),
    pushSigma: num({
      default: 0,
      min: 0,
      max: 3,
      doc: 'spread of T between pushes: ln T ~ Normal(ln pushS - pushSigma^2 / 2, pushSigma), so the mean stays pushS; 0: every push takes pushS',
    }),
    flapIntervalS: num({
      default: 1,
      gt: 0,
      unit: 's',
      doc: 'I: the global name answers each flapping region for this long in turn (lab dns.flapIntervalS)',
    }),
    flapRegions: int({ default: 2, min: 2, max: 64, doc: 'regions the global name alternates between' }),
    resolver: oneOf(RESOLVERS, {
      default: 'per-request',
      doc: 'per-request: every sub-request resolves (TTL 0); per-connection: once per new connection; ttl: a client cache of ttlS (cold at push start)',
    }),
    ttlS: num({ default: 0, min: 0, unit: 's', doc: 'resolver=ttl: client cache lifetime' }),
    connections: int({
      default: 1,
      min: 1,
      max: 64,
      doc: 'resolver=per-connection: connections a push spreads its sub-requests over (round robin)',
    }),
    retries: int({
      default: 2,
      min: 0,
      max: 100,
      doc: 'retry-push: whole-push retries after a scattered attempt',
    }),
    mitigations: strList({
      default: [...MITIGATIONS],
      doc: `mitigations to compare: ${MITIGATIONS.join(', ')}`,
    }),
  },
};

export type ReplicationParams = Infer<typeof replicationSchema>;
