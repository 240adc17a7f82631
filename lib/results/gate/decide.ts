/**
 * The gate's decision: every rule applied to every configuration it covers, each check
 * pass, fail or inconclusive. A quantile is decided on the bootstrap interval of
 * (candidate - baseline): it fails only when the whole interval lies beyond the allowance
 * (so sampling noise alone cannot fail a build), passes when the whole interval lies within
 * it, and is inconclusive when the interval straddles it or the runs hold too few samples,
 * saying how many would decide it. Counts and ratios have no sampling model here; they are
 * decided on their values against the allowance.
 */
import { InputError } from '../../errors';
import type { Envelope, Metrics } from '../envelope';
import { bootstrapQuantileDiff, minSamples, streamSeed } from './bootstrap';
import type { ParamDiff } from './comparable';
import { type Direction, type QuantileMetric, readMetric } from './metrics';
import type { Rule, RuleSet, Tolerance } from './rules';
import { samplesOf } from './samples';

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface GateRun {
  envelope: Envelope;
  raw: ReadonlyArray<Record<string, unknown>>;
  /** The run directory (or saved baseline) it was read from. */
  dir: string;
  /** How the user named it (a baseline name, a path). */
  label: string;
}

export interface Check {
  /** "podStartupS.p99 @ Mid": one JUnit testcase. */
  name: string;
  metric: string;
  point: string;
  kind: 'quantile' | 'count' | 'ratio' | 'run';
  direction: Direction;
  tolerance: Tolerance;
  /** How much worse the candidate may be, in the metric's unit. */
  allowance?: number;
  unit?: string;
  baseline?: number;
  candidate?: number;
  /** candidate - baseline. */
  delta?: number;
  ci?: { lo: number; hi: number; confidence: number; resamples: number };
  samples?: { baseline: number; candidate: number; needed: number };
  verdict: Verdict;
  message: string;
}

export interface GateResult {
  name: string;
  kind: 'sim' | 'k6';
  baseline: { dir: string; label: string; seed: number };
  candidate: { dir: string; label: string; seed: number };
  rulesSource: string;
  allowedDiffs: ParamDiff[];
  checks: Check[];
  verdict: Verdict;
  strict: boolean;
  /** What the reader must know to trust the verdicts (printed in every output). */
  notes: string[];
}

/**
 * Simulations compared across seeds: a bootstrap resamples within each run, so it cannot see
 * a configuration that throttles on some seeds and not on others (the published copy
 * sweep's Low point at 1,000 nodes: P99 628 s to 745 s over seeds 1-4, throttle events 0 to
 * 74). The same seed is an exact comparison of the change under test.
 */
function seedNote(b: Envelope, c: Envelope): string[] {
  if (b.kind !== 'sim' || b.seed === c.seed || !Number.isFinite(b.seed)) return [];
  return [
    `the simulations have different seeds (${b.seed}, ${c.seed}): the bootstrap covers sampling noise within a run, not a configuration whose throttling changes from seed to seed; run the candidate with the baseline's --seed ${b.seed} to gate only the change under test`,
  ];
}

function pointsOf(e: Envelope): Array<{ label: string; metrics: Metrics }> {
  return e.points.length > 0 ? e.points : [{ label: e.name, metrics: e.metrics }];
}

function allowanceOf(t: Tolerance, baseline: number): number {
  return Math.max(t.absolute ?? 0, (t.relative ?? 0) * Math.abs(baseline));
}

/** How much worse the candidate is, positive = worse, whichever way is better. */
const worse = (d: Direction, delta: number) => (d === 'lower' ? delta : -delta);

export function fmtValue(v: number | undefined, unit?: string): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (unit === 's') return `${+v.toFixed(Math.abs(v) >= 100 ? 1 : 3)} s`;
  if (unit === 'B/s') return `${+(v / 1e6).toFixed(2)} MB/s`;
  return Number.isInteger(v) ? String(v) : String(+v.toFixed(3));
}

function quantileCheck(
  rule: Rule & { metric: QuantileMetric },
  base: Omit<Check, 'verdict' | 'message'>,
  b: number[],
  c: number[],
  bootstrap: RuleSet['bootstrap'],
): Check {
  const m = rule.metric;
  const needed = minSamples(m.q);
  const samples = { baseline: b.length, candidate: c.length, needed };
  if (b.length < needed || c.length < needed) {
    const missing = b.length === 0 || c.length === 0;
    return {
      ...base,
      samples,
      verdict: 'inconclusive',
      message: missing
        ? `no raw ${m.key} samples in the ${b.length === 0 ? 'baseline' : 'candidate'}'s raw.ndjson; a ${m.quantile} needs at least ${needed} per run`
        : `too few samples: baseline ${b.length}, candidate ${c.length}; ${m.path} needs at least ${needed} per run (5 beyond the quantile)`,
    };
  }
  const d = bootstrapQuantileDiff(b, c, m.q, { ...bootstrap, seed: streamSeed(bootstrap.seed, base.name) });
  const allowance = allowanceOf(rule.tolerance, d.baseline);
  const [lo, hi] = rule.direction === 'lower' ? [d.lo, d.hi] : [-d.hi, -d.lo];
  const full: Omit<Check, 'verdict' | 'message'> = {
    ...base,
    allowance,
    baseline: d.baseline,
    candidate: d.candidate,
    delta: d.diff,
    ci: { lo: d.lo, hi: d.hi, confidence: d.confidence, resamples: d.resamples },
    samples,
  };
  const u = m.unit;
  const ciText = `${Math.round(d.confidence * 100)}% CI of the difference [${fmtValue(d.lo, u)}, ${fmtValue(d.hi, u)}]`;
  const figures = `${m.path} ${fmtValue(d.baseline, u)} -> ${fmtValue(d.candidate, u)} (${signed(d.diff, u)}, ${pct(d.diff, d.baseline)}); ${ciText}; allowed ${rule.direction === 'lower' ? '+' : '-'}${fmtValue(allowance, u)} (${toleranceWords(rule.tolerance)})`;
  if (lo > allowance)
    return {
      ...full,
      verdict: 'fail',
      message: `regression: ${figures}: the whole interval is beyond the allowance`,
    };
  if (hi <= allowance) return { ...full, verdict: 'pass', message: figures };
  // The interval's half-width shrinks as 1/sqrt(n): the n at which it would clear the allowance.
  const half = (hi - lo) / 2;
  const gap = Math.abs(worse(rule.direction, d.diff) - allowance);
  const n = Math.max(b.length, c.length);
  const factor = gap > 0 ? (half / gap) ** 2 : Number.POSITIVE_INFINITY;
  const more =
    factor <= 100
      ? `about ${Math.ceil(n * factor)} samples per run would decide it`
      : `the estimate sits within ${fmtValue(gap, u)} of the allowance: no practical number of samples decides it (over ${100 * n} per run)`;
  return {
    ...full,
    verdict: 'inconclusive',
    message: `${figures}: the interval straddles the allowance; ${more} (now ${b.length} and ${c.length})`,
  };
}

function signed(v: number, unit?: string): string {
  return `${v >= 0 ? '+' : '-'}${fmtValue(Math.abs(v), unit)}`;
}

function pct(delta: number, base: number): string {
  if (base === 0) return delta === 0 ? '±0%' : 'from 0';
  return `${delta >= 0 ? '+' : ''}${((100 * delta) / Math.abs(base)).toFixed(1)}%`;
}

function toleranceWords(t: Tolerance): string {
  return [
    t.relative !== undefined ? `${+(t.relative * 100).toFixed(3)}% of the baseline` : '',
    t.absolute !== undefined ? `${t.absolute} absolute` : '',
  ]
    .filter(Boolean)
    .join(' or ');
}

function valueCheck(rule: Rule, base: Omit<Check, 'verdict' | 'message'>, vb: number, vc: number): Check {
  const allowance = allowanceOf(rule.tolerance, vb);
  const delta = vc - vb;
  const figures = `${rule.metric.path} ${fmtValue(vb)} -> ${fmtValue(vc)} (${signed(delta)}, ${pct(delta, vb)}); allowed ${rule.direction === 'lower' ? '+' : '-'}${fmtValue(allowance)} (${toleranceWords(rule.tolerance)})`;
  const full = { ...base, allowance, baseline: vb, candidate: vc, delta };
  return worse(rule.direction, delta) > allowance
    ? { ...full, verdict: 'fail', message: `regression: ${figures}` }
    : { ...full, verdict: 'pass', message: figures };
}

export interface GateInput {
  baseline: GateRun;
  candidate: GateRun;
  rules: RuleSet;
  allowedDiffs?: ParamDiff[];
  strict?: boolean;
}

export function decideGate(input: GateInput): GateResult {
  const { baseline: B, candidate: C, rules } = input;
  const bPoints = pointsOf(B.envelope);
  const cPoints = pointsOf(C.envelope);
  // One storm against one storm: its label carries the changed parameter (C=12 vs C=2).
  const single = bPoints.length === 1 && cPoints.length === 1;
  const checks: Check[] = [];
  if (C.envelope.incomplete)
    checks.push({
      name: 'candidate run complete',
      metric: 'run',
      point: '',
      kind: 'run',
      direction: 'lower',
      tolerance: {},
      verdict: 'fail',
      message: `the candidate run is incomplete: ${C.envelope.incomplete.reason}`,
    });
  for (const rule of rules.rules) {
    if (rule.point !== undefined && !bPoints.some((p) => p.label === rule.point))
      throw new InputError(
        `${rule.at}.point`,
        `a configuration of the baseline (${bPoints.map((p) => JSON.stringify(p.label)).join(', ')})`,
        rule.point,
      );
    for (const bp of bPoints) {
      if (rule.point !== undefined && bp.label !== rule.point) continue;
      const cp = single ? cPoints[0] : cPoints.find((p) => p.label === bp.label);
      const name = bPoints.length > 1 ? `${rule.metric.path} @ ${bp.label}` : rule.metric.path;
      const base: Omit<Check, 'verdict' | 'message'> = {
        name,
        metric: rule.metric.path,
        point: bp.label,
        kind: rule.metric.kind,
        direction: rule.direction,
        tolerance: rule.tolerance,
        ...(rule.metric.kind === 'quantile' ? { unit: rule.metric.unit } : {}),
      };
      if (!cp) {
        checks.push({
          ...base,
          verdict: 'inconclusive',
          message: `the candidate has no configuration "${bp.label}"`,
        });
        continue;
      }
      const m = rule.metric;
      if (m.kind === 'quantile') {
        const recorded = bp.metrics[m.key] !== undefined || cp.metrics[m.key] !== undefined;
        if (!recorded && rule.builtIn) continue;
        const b = samplesOf(B.raw, m.key, bp.label, bPoints.length === 1);
        const c = samplesOf(C.raw, m.key, cp.label, cPoints.length === 1);
        checks.push(quantileCheck(rule as Rule & { metric: QuantileMetric }, base, b, c, rules.bootstrap));
        continue;
      }
      const vb = readMetric(bp.metrics, m.path);
      const vc = readMetric(cp.metrics, m.path);
      if (vb === undefined || vc === undefined) {
        if (rule.builtIn && vb === undefined && vc === undefined) continue;
        checks.push({
          ...base,
          verdict: 'inconclusive',
          message: `${m.path} is not recorded in the ${vb === undefined ? 'baseline' : 'candidate'}`,
        });
        continue;
      }
      checks.push(valueCheck(rule, base, vb, vc));
    }
  }
  const verdict: Verdict = checks.some((c) => c.verdict === 'fail')
    ? 'fail'
    : checks.some((c) => c.verdict === 'inconclusive') || checks.length === 0
      ? 'inconclusive'
      : 'pass';
  return {
    name: B.envelope.name,
    kind: B.envelope.kind,
    baseline: { dir: B.dir, label: B.label, seed: B.envelope.seed },
    candidate: { dir: C.dir, label: C.label, seed: C.envelope.seed },
    rulesSource: rules.source,
    allowedDiffs: input.allowedDiffs ?? [],
    checks,
    verdict,
    strict: input.strict ?? false,
    notes: seedNote(B.envelope, C.envelope),
  };
}

/** The contract's exit code: 1 on a failed check, or an inconclusive one under --strict. */
export function gateExitCode(r: GateResult): 0 | 1 {
  if (r.verdict === 'fail') return 1;
  return r.verdict === 'inconclusive' && r.strict ? 1 : 0;
}
