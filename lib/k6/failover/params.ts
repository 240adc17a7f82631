/**
 * `stampede run failover`'s parameters: the schema is the only place their defaults live.
 * The `lab.*` group names the Traffic-Manager and health-monitor settings the run assumes;
 * the lab cannot change them live (its monitor reads them at start), so a lab run checks
 * they match the running lab and refuses otherwise (start the lab with the same values).
 * No Node imports: the k6 entry imports the types.
 */
import { bool, type Infer, int, num, numList, oneOf, str } from '../../config/schema';
import { InputError } from '../../errors';

/** Fault kinds the runner can inject in the clients' region (lab fault kinds of the same name). */
export const RUN_FAULT_KINDS = [
  'region-down',
  'storage-fail',
  'front-errors',
  'throttle',
  'health-monitor-crash',
] as const;
export type RunFaultKind = (typeof RUN_FAULT_KINDS)[number];

export const failoverRunSchema = {
  vus: int({
    default: 4,
    min: 1,
    max: 500,
    doc: 'virtual users pulling continuously through the global name',
  }),
  durationS: num({ default: 60, gt: 0, max: 3600, unit: 's', doc: 'how long the VUs pull' }),
  thinkS: num({
    default: 0.5,
    min: 0,
    max: 60,
    unit: 's',
    doc: 'pause between the end of one pull and the next',
  }),
  faultAtS: num({
    default: 15,
    min: 0,
    unit: 's',
    doc: 'when the runner injects the fault (from the run start)',
  }),
  clearAtS: num({
    default: 40,
    gt: 0,
    unit: 's',
    doc: 'when the runner clears it (at most durationS; failback is measured after it)',
  }),
  fault: {
    kind: oneOf(RUN_FAULT_KINDS, {
      default: 'region-down',
      doc: "the fault in the clients' region: region-down (front 503s, deep health fails at once), storage-fail (every backend of the region fails; deep health after the sustain window), front-errors / throttle (a fraction `rate` of requests answered 500 / 429; deep health stays healthy), health-monitor-crash (deep health fails open)",
    }),
    rate: num({ default: 1, min: 0, max: 1, doc: 'front-errors / throttle: fraction of requests that fail' }),
  },
  binS: num({ default: 2, gt: 0, unit: 's', doc: 'width of the region-share time bins' }),
  image: str({
    default: 'stampede/failover:v1',
    pattern: /^[a-z0-9]+(?:[._/-][a-z0-9]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
    expected: 'repo:tag',
    doc: 'the small image every VU pulls over and over',
  }),
  layers: numList({
    default: [65536] as never,
    integer: true,
    min: 1,
    max: 2 ** 26,
    unit: 'B',
    doc: 'lab only: sizes of the layers seeded before the run (keep it small: short iterations)',
  }),
  seed: bool({ default: true, doc: 'lab only: push the image before the run' }),
  registry: str({ default: '', doc: 'lab only: which lab registry name (default: the first)' }),
  maxRetries: int({
    default: 0,
    min: 0,
    max: 20,
    doc: 'retries per request on 429/503 (0: each failed pull counts, as the simulator counts them)',
  }),
  dns: {
    ttl: str({
      default: '5s',
      pattern: /^(0|\d+(ms|s|m|h))$/,
      expected: '0 or a k6 duration like 5s, 500ms, 1m',
      doc: "k6's DNS cache TTL (shared by every VU of the k6 process; 0 = re-resolve every connection)",
    }),
    select: oneOf(['first', 'random'], { default: 'first', doc: 'which resolved address k6 uses' }),
  },
  lab: {
    probeIntervalS: num({ default: 2, gt: 0, unit: 's', doc: "the lab's dns.probeIntervalS (must match)" }),
    toleratedFailures: int({
      default: 2,
      min: 0,
      max: 9,
      doc: "the lab's dns.toleratedFailures (must match)",
    }),
    probeTimeoutS: num({ default: 1, gt: 0, unit: 's', doc: "the lab's dns.probeTimeoutS (must match)" }),
    ttlS: int({
      default: 5,
      min: 0,
      unit: 's',
      doc: "the lab's dns.ttlS, TTL of the global name (must match)",
    }),
    sustainS: num({ default: 4, min: 0, unit: 's', doc: "the lab's health.sustainS (must match)" }),
    checkIntervalS: num({
      default: 1,
      gt: 0,
      unit: 's',
      doc: "the lab's health.checkIntervalS (must match)",
    }),
  },
};
export type FailoverRunParams = Infer<typeof failoverRunSchema>;

/** What the k6 entry receives as its one JSON value. */
export interface FailoverScriptParams extends FailoverRunParams {
  baseUrl: string;
  hosts?: Record<string, string>;
}

/** Cross-field rules the leaves cannot express. */
export function validateFailoverRun(p: FailoverRunParams): void {
  if (p.faultAtS >= p.durationS)
    throw new InputError('faultAtS', `a time before the run ends (durationS = ${p.durationS})`, p.faultAtS);
  if (p.clearAtS <= p.faultAtS)
    throw new InputError('clearAtS', `a time after faultAtS (${p.faultAtS})`, p.clearAtS);
  if (p.clearAtS > p.durationS)
    throw new InputError('clearAtS', `at most durationS (${p.durationS}): the run ends there`, p.clearAtS);
  if (p.binS > p.durationS) throw new InputError('binS', `at most durationS (${p.durationS})`, p.binS);
  if (p.lab.probeTimeoutS >= p.lab.probeIntervalS)
    throw new InputError(
      'lab.probeTimeoutS',
      `less than lab.probeIntervalS (${p.lab.probeIntervalS})`,
      p.lab.probeTimeoutS,
    );
}

/** k6's duration text (5s, 500ms, 1m) in seconds. */
export function k6DurationS(text: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text);
  if (!m) throw new InputError('dns.ttl', 'a k6 duration like 5s or 500ms', text);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? n / 1000 : unit === 'm' ? n * 60 : unit === 'h' ? n * 3600 : n;
}
