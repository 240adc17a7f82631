/**
 * The dns-bounce scenario's parameters: the schema is the only place their defaults live.
 * Validated once at the edge (the run command); the k6 entry gets the result as one JSON
 * value. No Node imports: the k6 entry imports its types.
 */
import { bool, type Infer, int, num, oneOf, str, strList } from '../../config/schema';

export const BOUNCE_MITIGATIONS = ['none', 'regional', 'dns-pin', 'retry-push'] as const;
export type BounceMitigation = (typeof BOUNCE_MITIGATIONS)[number];

export const dnsBounceSchema = {
  mitigations: strList({
    default: [...BOUNCE_MITIGATIONS],
    pattern: /^(none|regional|dns-pin|retry-push)$/,
    doc: 'mitigations compared in one run, each its own k6 scenario at the same time: none, regional (push through the regional endpoint), dns-pin (resolve once per push, send the rest to that address), retry-push (redo the whole push after a failure)',
  }),
  pushes: int({ default: 200, min: 1, max: 100_000, doc: 'pushes per mitigation' }),
  vus: int({ default: 4, min: 1, max: 500, doc: 'VUs per mitigation, pushing one image at a time each' }),
  layers: int({
    default: 3,
    min: 1,
    max: 64,
    doc: 'layers per image (fresh random bytes every push), plus a config blob',
  }),
  layerBytes: int({ default: 4096, min: 1, max: 2 ** 30, unit: 'B', doc: 'bytes per layer' }),
  chunkSize: int({
    default: 0,
    min: 0,
    max: 2 ** 30,
    unit: 'B',
    doc: 'bytes per PATCH of a chunked upload; 0 = monolithic (POST, then one PUT)',
  }),
  retries: int({ default: 2, min: 0, max: 20, doc: 'retry-push: whole-push retries after a failed attempt' }),
  pauseS: num({
    default: 0.5,
    min: 0,
    max: 3600,
    unit: 's',
    doc: 'random pause (uniform on 0..pauseS) before each push: with pauseS >= flap.intervalS a push starts at a uniform phase of the flap, as the scatter model assumes (without it a push after a failed one starts just after a flip, and scatters less)',
  }),
  repository: str({
    default: 'stampede/dns-bounce',
    pattern: /^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/,
    expected: 'a repository name (lowercase, / separated)',
    doc: 'repository pushed to (tags name the mitigation, VU, push and attempt)',
  }),
  connectionReuse: bool({
    default: false,
    doc: "k6 keeps connections alive (it resolves only when it dials): false dials, and so resolves, every request, the 're-resolve every request' client",
  }),
  regionalUrl: str({
    default: '',
    pattern: /^(|https?:\/\/[^/?#@\s]+)$/,
    expected: 'empty (lab) or http(s)://host[:port] of the regional endpoint',
    doc: 'registry URL target: the regional endpoint `regional` pushes through (e.g. https://myreg.eastus.geo.azurecr.io); the lab uses its own',
  }),
  flap: {
    on: bool({ default: true, doc: "lab only: the lab's dns-flap fault runs for the whole run" }),
    intervalS: num({
      default: 0.5,
      gt: 0,
      max: 3600,
      unit: 's',
      doc: 'lab only: the global name answers each flapping region this long in turn (the flap period is regions x intervalS)',
    }),
    regions: str({
      default: '',
      pattern: /^([a-z0-9-]+(,[a-z0-9-]+)+)?$/,
      expected: 'empty (every region) or a list of at least 2 regions, a,b',
      doc: 'lab only: regions the global name alternates between (default: all)',
    }),
    ttlS: num({ default: 0, min: 0, max: 3600, unit: 's', doc: 'lab only: TTL of the flapping answers' }),
  },
  registry: str({ default: '', doc: 'lab only: which lab registry name (default: the first)' }),
  maxDurationS: num({ default: 600, gt: 0, max: 86_400, unit: 's', doc: 'hard cap on the k6 scenario' }),
  lagDrainS: num({
    default: 30,
    min: 0,
    max: 3600,
    unit: 's',
    doc: "lab target: after k6 exits, wait at most this long for the lab's replication backlog to drain, so the last pushes' lags are measured too (metrics.replicationLagS counts the landings it saw against the pushes it expected)",
  }),
  maxRetries: int({ default: 3, min: 0, max: 20, doc: 'retries per request on 429/503, with backoff' }),
  dns: {
    ttl: str({
      default: '0',
      pattern: /^(\d+(ms|s|m|h)?|inf)$/,
      doc: "k6's DNS cache TTL (0 = every lookup asks the lab DNS)",
    }),
    select: oneOf(['first', 'random', 'roundRobin'], {
      default: 'first',
      doc: 'which resolved address k6 uses',
    }),
    policy: oneOf(['preferIPv4', 'preferIPv6', 'onlyIPv4', 'onlyIPv6', 'any'], {
      default: 'preferIPv4',
      doc: 'address family policy',
    }),
  },
};
export type DnsBounceParams = Infer<typeof dnsBounceSchema>;

/** What the k6 entry receives as its one JSON value (__ENV.STAMPEDE_PARAMS). */
export interface DnsBounceScriptParams extends DnsBounceParams {
  baseUrl: string;
  hosts?: Record<string, string>;
}
