/**
 * Whether two runs may be gated against each other. They must be the same kind (sim or k6)
 * of the same model or scenario with the same resolved parameters, save for those that do
 * not change what is measured:
 *   - the seed (kept outside params): other seeds of one configuration are the noise a
 *     gate must tolerate, not a difference;
 *   - run.sampleS (simulations): the time-series sampling step of the report only;
 *   - maxDurationS (k6): a safety cap on the run, not its load;
 *   - target.* (k6) other than target.kind and, for a registry URL, target.base: the lab's
 *     addresses, namespace and the digest of the freshly seeded random image differ on
 *     every run of one configuration.
 * Anything else that differs is named (every path, baseline value -> candidate value) and
 * the gate exits 2, unless the caller allows it (`--allow-diff PATH`): that is how a
 * deliberate change (a preset's fitted value, storage.copies) is gated as the change under test.
 */
import { InputError } from '../../errors';
import type { Envelope } from '../envelope';

const IGNORED: ReadonlyArray<(path: string, env: Envelope) => boolean> = [
  (p, e) => e.kind === 'sim' && p === 'run.sampleS',
  (p, e) => e.kind === 'k6' && p === 'maxDurationS',
  (p, e) =>
    e.kind === 'k6' &&
    p.startsWith('target.') &&
    p !== 'target.kind' &&
    !(p === 'target.base' && (e.params.target as { kind?: unknown } | undefined)?.kind === 'url'),
];

/** Leaf paths of a parameter tree (arrays are leaves: a sweep's list is one parameter). */
export function flattenParams(
  tree: unknown,
  prefix = '',
  out = new Map<string, unknown>(),
): Map<string, unknown> {
  if (typeof tree === 'object' && tree !== null && !Array.isArray(tree)) {
    for (const [k, v] of Object.entries(tree)) flattenParams(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.set(prefix, tree);
  return out;
}

export interface ParamDiff {
  path: string;
  baseline: unknown;
  candidate: unknown;
}

export function paramDiffs(baseline: Envelope, candidate: Envelope): ParamDiff[] {
  const b = flattenParams(baseline.params);
  const c = flattenParams(candidate.params);
  const paths = [...new Set([...b.keys(), ...c.keys()])].sort();
  return paths
    .filter((p) => !IGNORED.some((ignored) => ignored(p, baseline)))
    .filter((p) => JSON.stringify(b.get(p)) !== JSON.stringify(c.get(p)))
    .map((p) => ({ path: p, baseline: b.get(p), candidate: c.get(p) }));
}

/** Whether `path` is allowed by one of the --allow-diff entries (a path or a group prefix). */
function allowed(path: string, allow: readonly string[]): boolean {
  return allow.some((a) => path === a || path.startsWith(`${a}.`));
}

/**
 * Throws an InputError (exit 2, code NOT_COMPARABLE) naming what differs; returns the
 * differences that were allowed, for the report.
 */
export function checkComparable(
  baseline: Envelope,
  candidate: Envelope,
  allow: readonly string[] = [],
): ParamDiff[] {
  if (baseline.kind !== candidate.kind)
    throw new InputError(
      'candidate kind',
      `the baseline's kind "${baseline.kind}"`,
      candidate.kind,
      'NOT_COMPARABLE',
    );
  if (baseline.name !== candidate.name)
    throw new InputError(
      `candidate ${baseline.kind === 'sim' ? 'model' : 'scenario'}`,
      `the baseline's "${baseline.name}"`,
      candidate.name,
      'NOT_COMPARABLE',
    );
  const diffs = paramDiffs(baseline, candidate);
  const refused = diffs.filter((d) => !allowed(d.path, allow));
  const [first] = refused;
  if (first) throw new NotComparableError(first, refused);
  return diffs;
}

const show = (v: unknown) => JSON.stringify(v) ?? 'unset';

/** Bad input (exit 2) naming the first differing parameter, and listing every one of them. */
export class NotComparableError extends InputError {
  readonly diffs: readonly ParamDiff[];
  constructor(first: ParamDiff, all: readonly ParamDiff[]) {
    super(
      `candidate params.${first.path}`,
      `the baseline's value ${show(first.baseline)} (runs must differ only in seed; --allow-diff ${first.path} gates a deliberate change)`,
      first.candidate,
      'NOT_COMPARABLE',
    );
    this.diffs = all;
    if (all.length > 1)
      this.message += `; all ${all.length} differences: ${all.map((d) => `${d.path} ${show(d.baseline)} -> ${show(d.candidate)}`).join(', ')}`;
  }
}
