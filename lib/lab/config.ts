/**
 * The lab's configuration: validated once at the edge (`lab up --config FILE`, `--set`),
 * trusted everywhere after. Defaults give a three-region geo-replicated registry on
 * loopback. Runtime-adjustable knobs (copies, ceilings, faults) live in LabState.
 */
import { bool, type Infer, int, num, oneOf, resolve, str, strList } from '../config/schema';
import { InputError } from '../errors';

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
  },
  registry: {
    names: strList({
      default: ['contoso'],
      pattern: NAME,
      doc: 'registry names hosted by the lab; each gets a global, regional and data endpoint',
    }),
    domain: str({
      default: 'stampede.test',
      pattern: /^[a-z0-9.-]+\.test$/,
      doc: 'DNS suffix (RFC 2606 .test) under which every lab name lives',
    }),
    port: int({ default: 8080, min: 1, max: 65535, doc: 'HTTP port of every front and storage backend' }),
    anonymousPull: bool({ default: false, doc: 'allow pulls without a token (like ACR anonymous pull)' }),
    tokenTtlS: int({
      default: 3600,
      min: 5,
      doc: 'lifetime of access tokens issued by /oauth2/token',
      unit: 's',
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
    ceilingBps: num({
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
  },
  replication: {
    baseLagS: num({
      default: 1,
      min: 0,
      doc: 'fixed part of replication lag per pushed artifact',
      unit: 's',
    }),
    bandwidthBps: num({
      default: 0,
      min: 0,
      doc: 'replication bandwidth per target region (0 = unlimited)',
      unit: 'B/s',
    }),
    jitterS: num({ default: 0, min: 0, doc: 'uniform random extra lag', unit: 's' }),
    concurrency: int({ default: 2, min: 1, doc: 'copies in flight per target region (the rest queue)' }),
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
      doc: 'consecutive failed probes before a region is degraded',
    }),
    probeTimeoutS: num({ default: 10, gt: 0, doc: 'probe timeout', unit: 's' }),
    flapIntervalS: num({
      default: 1,
      gt: 0,
      doc: 'with the dns-flap fault: how often answers alternate',
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
  if (!cfg.regions.names.includes(cfg.regions.clientRegion))
    throw new InputError(
      'regions.clientRegion',
      `one of ${cfg.regions.names.join(', ')}`,
      cfg.regions.clientRegion,
    );
  return cfg;
}
