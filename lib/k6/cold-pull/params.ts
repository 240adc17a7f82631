/**
 * The cold-pull scenario's parameters: the schema is the only place their defaults live.
 * Validated once at the edge (the run command); the k6 entry gets the result as one JSON
 * value. No Node imports: the k6 entry imports its types.
 */
import { bool, type Infer, int, num, numList, oneOf, str } from '../../config/schema';

export const coldPullSchema = {
  vus: int({ default: 10, min: 1, max: 5000, doc: 'virtual users: nodes pulling at the same time' }),
  iterations: int({ default: 1, min: 1, max: 1000, doc: 'cold pulls per VU' }),
  image: str({
    default: 'stampede/cold-pull:v1',
    pattern: /^[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/,
    expected: 'repo:tag or repo@sha256:<hex>',
    doc: 'image to pull (repository in the target registry)',
  }),
  // numList's option type intersects NumOpts' `default: number` with `number[]`; the cast
  // keeps this compiling until lib/config/schema.ts loosens it (the runtime is fine).
  layers: numList({
    default: [1 << 20, 2 << 20, 4 << 20] as never,
    integer: true,
    min: 1,
    max: 2 ** 31,
    unit: 'B',
    doc: 'lab only: sizes of the random layers seeded before the run (1Mi,2Mi,...)',
  }),
  seed: bool({
    default: true,
    doc: 'lab only: push the image (random incompressible layers) before pulling',
  }),
  maxDurationS: num({ default: 300, gt: 0, max: 86_400, unit: 's', doc: 'hard cap on the k6 scenario' }),
  maxRetries: int({ default: 5, min: 0, max: 20, doc: 'retries per request on 429/503, with backoff' }),
  parallelLayers: int({
    default: 3,
    min: 1,
    max: 16,
    doc: "layers fetched at once per pull (containerd's default 3)",
  }),
  verifyDigest: bool({ default: true, doc: 'sha256 every blob against its digest' }),
  verifySample: num({
    default: 1,
    gt: 0,
    max: 1,
    doc: 'share of pulls whose digests are verified (with verifyDigest); the others keep no body in memory (size checked from Content-Length)',
  }),
  registry: str({ default: '', doc: 'lab only: which lab registry name (default: the first)' }),
  endpoint: oneOf(['global', 'regional', 'data'], {
    default: 'global',
    doc: "lab only: pull through the global name (Traffic Manager) or the client region's own",
  }),
  dns: {
    ttl: str({
      default: '5m',
      pattern: /^(\d+(ms|s|m|h)?|inf)$/,
      doc: "k6's DNS cache TTL (0 = re-resolve every request)",
    }),
    select: oneOf(['first', 'random', 'roundRobin'], {
      default: 'random',
      doc: 'which resolved address k6 uses',
    }),
    policy: oneOf(['preferIPv4', 'preferIPv6', 'onlyIPv4', 'onlyIPv6', 'any'], {
      default: 'preferIPv4',
      doc: 'address family policy',
    }),
  },
};
export type ColdPullParams = Infer<typeof coldPullSchema>;

/**
 * What the k6 entry receives as its one JSON value (__ENV.STAMPEDE_PARAMS): the validated
 * parameters, the registry's base URL and, for a lab without its own DNS, names -> addresses.
 */
export interface ColdPullScriptParams extends ColdPullParams {
  baseUrl: string;
  hosts?: Record<string, string>;
}
