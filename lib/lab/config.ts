/**
 * The lab's configuration: validated once at the edge (`lab up --config FILE`, `--set`),
 * trusted everywhere after. Defaults give a three-region geo-replicated registry on
 * loopback. Runtime-adjustable knobs (copies, ceilings, faults) live in LabState.
 */
import { bool, type Infer, int, type Leaf, num, oneOf, resolve, str, strList } from '../config/schema';
import { InputError } from '../errors';
import { checkCacheRules } from './cache/rules';

/**
 * A byte rate leaf whose errors and help say which forms it takes: "expected a number >= 0"
 * for `--ceiling fast` hides that 50M and 1Gi work. Same value rules as `num`.
 */
function rate(o: Parameters<typeof num>[0]): Leaf<number> {
  const base = num(o);
  const expected = `${base.expected}, in bytes/s: 50000000, 50M, 1.5G, 512Ki, 1Gi`;
  const restate =
    <A>(fn: (v: A, path: string) => number) =>
    (v: A, path: string): number => {
      try {
        return fn(v, path);
      } catch (e) {
        if (e instanceof InputError) throw new InputError(e.field, expected, e.received, e.code);
        throw e;
      }
    };
  return { ...base, expected, check: restate(base.check), parse: restate(base.parse) };
}

/**
 * ACR's endpointProtocol: IPv4 (the default) or IPv4AndIPv6 (dual stack, additive). There is
 * no IPv6-only mode, and the error says so rather than only listing the two values.
 */
function endpointProtocol(): Leaf<'IPv4' | 'IPv4AndIPv6'> {
  const base = oneOf(['IPv4', 'IPv4AndIPv6'], {
    default: 'IPv4',
    doc: 'IPv4, or IPv4AndIPv6: every front, data/regional endpoint and storage backend also gets an IPv6 address (ULA, inside the lab namespace only) and the lab DNS answers AAAA (needs registry.dataEndpoints and a namespace)',
  });
  const expected = `${base.expected} (ACR has no IPv6-only mode: dual stack is additive)`;
  const restate =
    <A>(fn: (v: A, path: string) => 'IPv4' | 'IPv4AndIPv6') =>
    (v: A, path: string) => {
      try {
        return fn(v, path);
      } catch (e) {
        if (e instanceof InputError) throw new InputError(e.field, expected, e.received, e.code);
        throw e;
      }
    };
  return { ...base, expected, check: restate(base.check), parse: restate(base.parse) };
}

const NAME = /^[a-z][a-z0-9-]{1,30}$/;

export const labSchema = {
  lab: {
    name: str({
      default: 'lab',
      pattern: NAME,
      doc: 'lab instance name: state dir .lab/<name>, namespace stampede-<name>',
    }),
    netns: oneOf(['auto', 'on', 'off'], {
      default: 'auto',
      doc: 'run the lab in its own network namespace (auto: when root and `ip netns` works)',
    }),
    octet: int({
      default: 0,
      min: 0,
      max: 255,
      doc: 'second byte of every lab address (127.<octet>.x.y): lets labs on the host loopback run side by side',
    }),
    endpointProtocol: endpointProtocol(),
  },
  registry: {
    names: strList({
      default: ['contoso'],
      pattern: NAME,
      doc: 'registry names hosted by the lab; each gets a global, regional and data endpoint',
    }),
    dataEndpoints: bool({
      default: true,
      doc: "dedicated data endpoints <reg>.<region>.data.<domain> (ACR's --data-endpoint-enabled); false: those names do not exist",
    }),
    domain: str({
      default: 'stampede.test',
      pattern: /^[a-z0-9.-]+\.test$/,
      doc: 'DNS suffix (RFC 2606 .test) under which every lab name lives',
    }),
    port: int({ default: 8080, min: 1, max: 65535, doc: 'HTTP port of every front and storage backend' }),
    tlsPort: int({
      default: 8443,
      min: 1,
      max: 65535,
      doc: "HTTPS port of every front (certificate from the lab CA for all of the region's names)",
    }),
    anonymousPull: bool({ default: false, doc: 'allow pulls without a token (like ACR anonymous pull)' }),
    tokenTtlS: int({
      default: 3600,
      min: 5,
      doc: 'lifetime of access tokens issued by /oauth2/token',
      unit: 's',
    }),
    adminUser: str({
      default: 'admin',
      doc: 'admin user name (like ACR admin user; docker login user/password)',
    }),
    adminPassword: str({
      default: '',
      doc: 'admin user password ("" = admin user disabled, the ACR default); never logged',
    }),
  },
  regions: {
    names: strList({
      default: ['eastus', 'westus', 'westeurope'],
      pattern: NAME,
      doc: 'replica regions; the first is the home region',
    }),
    clientRegion: str({
      default: 'eastus',
      pattern: NAME,
      doc: 'where `lab exec` clients sit: the global name answers the closest healthy region to it',
    }),
    requestsPerS: num({
      default: 0,
      min: 0,
      doc: 'per-replica registry API rate limit (0 = none); over it 429',
      unit: 'req/s',
    }),
    burst: int({ default: 100, min: 1, doc: 'token-bucket burst for the per-replica rate limit' }),
  },
  storage: {
    backends: int({ default: 4, min: 1, max: 64, doc: 'storage backends (accounts) per region (M)' }),
    copies: int({ default: 2, min: 1, max: 64, doc: 'copies of every layer, on distinct backends (C <= M)' }),
    ceilingBps: rate({
      default: 0,
      min: 0,
      doc: 'egress ceiling per backend, shared by its connections (0 = none)',
      unit: 'B/s',
    }),
    selection: oneOf(['random', 'round-robin', 'least-loaded'], {
      default: 'random',
      doc: 'how a blob GET picks a copy',
    }),
    urlTtlS: int({ default: 300, min: 1, doc: 'lifetime of the signed URL a 307 points to', unit: 's' }),
    minStreamBps: rate({
      default: 1048576,
      gt: 0,
      doc: 'throttling floor: a backend with a ceiling admits a new stream only while ceiling/(active+1) >= this; else 503 ServerBusy',
      unit: 'B/s',
    }),
    retryAfterS: int({
      default: 1,
      min: 1,
      max: 60,
      doc: 'Retry-After (s) of a 503 ServerBusy: how long a refused client waits before it asks again',
      unit: 's',
    }),
    streamBps: rate({
      default: 0,
      min: 0,
      doc: 'per-stream read rate of a backend (a client NIC / one HTTP stream from one copy), taken before the shared ceiling (0 = none)',
      unit: 'B/s',
    }),
    homeBackends: int({
      default: 1,
      min: 1,
      max: 64,
      doc: "backends each registry's data is homed on per region (deep health checks these)",
    }),
    tls: bool({
      default: false,
      doc: "serve blobs over HTTPS, as Azure Storage does: a lab-CA certificate for the backends' names and IPs, 307s to https:// (k6 trusts the lab CA); each redirect to a new backend then costs a TLS handshake",
    }),
    redirectHost: oneOf(['name', 'ip'], {
      default: 'name',
      doc: "307 to the backend's DNS name (needs the lab DNS) or to its IP (plain loopback clients)",
    }),
  },
  replication: {
    baseLagS: num({
      default: 1,
      min: 0,
      doc: 'fixed part of replication lag per pushed artifact',
      unit: 's',
    }),
    bandwidthBps: rate({
      default: 0,
      min: 0,
      doc: 'replication bandwidth per target region (0 = unlimited)',
      unit: 'B/s',
    }),
    jitterS: num({ default: 0, min: 0, doc: 'uniform random extra lag', unit: 's' }),
    concurrency: int({ default: 2, min: 1, doc: 'copies in flight per target region (the rest queue)' }),
    webhookUrl: str({
      default: '',
      pattern: /^(https?:\/\/\S+)?$/,
      expected: 'an http(s) URL, or empty for none',
      doc: 'where ACR-style webhooks go: one push event per replica once content lands there (empty: none)',
    }),
  },
  dns: {
    ttlS: int({ default: 30, min: 0, doc: 'TTL of answers for the global name', unit: 's' }),
    probeIntervalS: num({
      default: 30,
      gt: 0,
      doc: 'Traffic Manager probe interval (30 or 10 in Azure)',
      unit: 's',
    }),
    toleratedFailures: int({
      default: 3,
      min: 0,
      max: 9,
      doc: 'consecutive failed probes tolerated: the next failure degrades the region (0 = the first does)',
    }),
    probeTimeoutS: num({ default: 10, gt: 0, doc: 'probe timeout', unit: 's' }),
    flapIntervalS: num({
      default: 1,
      gt: 0,
      doc: 'with the dns-flap fault: how often answers alternate',
      unit: 's',
    }),
    staticTtlS: int({
      default: 300,
      min: 0,
      doc: 'TTL of names that never move: regional, data, storage and identity names',
      unit: 's',
    }),
    negativeTtlS: int({
      default: 30,
      min: 0,
      doc: 'how long resolvers cache NXDOMAIN/no-data answers (SOA minimum, RFC 2308)',
      unit: 's',
    }),
  },
  upstream: {
    enabled: bool({
      default: false,
      doc: 'start the upstream registry (upstream.<domain>: a real docker-registry behind a Docker-Hub-like rate limiter) that cache rules pull through',
    }),
    rateLimit: {
      scope: oneOf(['global', 'client'], {
        default: 'global',
        doc: 'one bucket for every caller, or one per client IP (Docker Hub limits per IP / account); each front connects from its own IP',
      }),
      perMin: num({
        default: 600,
        gt: 0,
        doc: 'tokens refilled per minute (manifest GETs are what Docker Hub counts as pulls)',
        unit: 'req/min',
      }),
      burst: int({ default: 100, min: 1, doc: 'bucket size: manifest GETs admitted at once' }),
      retryAfterS: int({
        default: 10,
        min: 1,
        max: 3600,
        doc: 'Retry-After (s) on an upstream 429',
        unit: 's',
      }),
    },
    latencyMs: num({ default: 0, min: 0, doc: 'added to every upstream request', unit: 'ms' }),
    bps: rate({
      default: 0,
      min: 0,
      doc: 'per-stream bytes/s of upstream bodies (0 = unlimited)',
      unit: 'B/s',
    }),
  },
  cache: {
    rules: strList({
      default: [],
      minLength: 0,
      pattern: /^[a-z0-9][a-z0-9._/-]*=[^\s=]+$/,
      doc: 'cache rules <downstream repo prefix>=<upstream host>/<upstream repo prefix>, e.g. hub/library=upstream.stampede.test/library (every lab registry; no two overlap)',
    }),
    coalescing: oneOf(['off', 'per-front'], {
      default: 'per-front',
      doc: 'off: every miss goes upstream (a naive proxy); per-front: concurrent misses for one digest on a front share one upstream fetch',
    }),
    hydrationWorkers: int({
      default: 2,
      min: 1,
      max: 64,
      doc: 'concurrent import (hydration) jobs per front',
    }),
  },
  breaker: {
    enabled: bool({ default: true, doc: 'circuit breaker on upstream 429/5xx/unreachable, per front' }),
    failures: int({ default: 5, min: 1, doc: 'K upstream failures (429, 5xx, no answer) ...' }),
    windowS: num({ default: 10, gt: 0, doc: '... within W s open the breaker', unit: 's' }),
    openS: num({
      default: 30,
      gt: 0,
      doc: 'how long the breaker stays open before one half-open probe',
      unit: 's',
    }),
  },
  health: {
    sustainS: num({
      default: 60,
      min: 0,
      doc: 'a dependency must fail this long before deep health reports unhealthy',
      unit: 's',
    }),
    checkIntervalS: num({
      default: 5,
      gt: 0,
      doc: "how often each front's health monitor checks registry, storage and auth",
      unit: 's',
    }),
  },
};

export type LabConfig = Infer<typeof labSchema>;

export function resolveLabConfig(
  layers: ReadonlyArray<{ source: string; tree: unknown }>,
  sets: string[] = [],
): LabConfig {
  const cfg = resolve(labSchema, layers, sets);
  // Cross-field rules the leaves can't express on their own.
  if (cfg.storage.copies > cfg.storage.backends)
    throw new InputError(
      'storage.copies',
      `at most storage.backends (${cfg.storage.backends}): copies live on distinct backends`,
      cfg.storage.copies,
    );
  if (cfg.storage.homeBackends > cfg.storage.backends)
    throw new InputError(
      'storage.homeBackends',
      `at most storage.backends (${cfg.storage.backends}): a registry is homed on backends the region has`,
      cfg.storage.homeBackends,
    );
  // Every front listens on both ports at one address: equal ports fail at start-up otherwise.
  if (cfg.registry.tlsPort === cfg.registry.port)
    throw new InputError(
      'registry.tlsPort',
      `a port other than registry.port (${cfg.registry.port}): each front listens on both at one address`,
      cfg.registry.tlsPort,
      'PORT_CONFLICT',
    );
  if (!cfg.regions.names.includes(cfg.regions.clientRegion))
    throw new InputError(
      'regions.clientRegion',
      `one of ${cfg.regions.names.join(', ')}`,
      cfg.regions.clientRegion,
    );
  // ACR refuses IPv4AndIPv6 unless dedicated data endpoints are on (a Premium feature).
  if (cfg.lab.endpointProtocol === 'IPv4AndIPv6' && !cfg.registry.dataEndpoints)
    throw new InputError(
      'lab.endpointProtocol',
      'IPv4 while registry.dataEndpoints=false: dual stack requires dedicated data endpoints, as ACR enforces (set registry.dataEndpoints=true)',
      cfg.lab.endpointProtocol,
      'DUAL_STACK_NEEDS_DATA_ENDPOINTS',
    );
  checkCacheRules(cfg.cache.rules, cfg.registry.domain, 'cache.rules');
  if (cfg.cache.rules.length > 0 && !cfg.upstream.enabled)
    throw new InputError(
      'upstream.enabled',
      'true when cache.rules are given (rules pull through the upstream registry)',
      false,
    );
  return cfg;
}

/**
 * Dual stack only inside the lab's own namespace: its IPv6 addresses are added to that
 * namespace's lo, and the host's loopback has no 127/8-like range of its own to spare
 * (only ::1), so without a namespace the lab would have to add addresses to the host.
 */
export function checkDualStackNetns(cfg: LabConfig, netns: boolean, reason: string): void {
  if (cfg.lab.endpointProtocol === 'IPv4AndIPv6' && !netns)
    throw new InputError(
      'lab.endpointProtocol',
      `IPv4 when the lab runs without its own network namespace (${reason}): IPv6 endpoints get addresses added inside the namespace stampede-<name> only, never on the host`,
      cfg.lab.endpointProtocol,
      'DUAL_STACK_NEEDS_NETNS',
    );
}
