/**
 * The k6 scenarios `stampede run` knows (only those that exist), each with its parameter
 * schema and the __ENV it hands the script. Parameters are validated here, once, at the
 * edge; the script trusts its environment.
 */
import { bool, type Infer, int, num, numList, oneOf, type Schema, str } from '../config/schema';

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

export function coldPullEnv(p: ColdPullParams): Record<string, string> {
  return {
    STAMPEDE_IMAGE: p.image,
    STAMPEDE_VUS: String(p.vus),
    STAMPEDE_ITERATIONS: String(p.iterations),
    STAMPEDE_MAX_DURATION_S: String(p.maxDurationS),
    STAMPEDE_MAX_RETRIES: String(p.maxRetries),
    STAMPEDE_PARALLEL_LAYERS: String(p.parallelLayers),
    STAMPEDE_VERIFY_DIGEST: p.verifyDigest ? '1' : '0',
    STAMPEDE_DNS_TTL: p.dns.ttl,
    STAMPEDE_DNS_SELECT: p.dns.select,
    STAMPEDE_DNS_POLICY: p.dns.policy,
  };
}

export interface ScenarioDef {
  summary: string;
  schema: Schema;
}

export const SCENARIOS: Record<string, ScenarioDef> = {
  'cold-pull': {
    summary: 'N VUs each cold-pull one image: token flow, manifest, every layer via the 307 to storage',
    schema: coldPullSchema,
  },
};
