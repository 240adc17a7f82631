/**
 * What the page reads beyond what readSummary's envelopeProblem (lib/results/envelope.ts)
 * already checks: the optional `reference`, `incomplete` and `runtime`. Checked once at load
 * so a hand-edited summary.json exits 2 naming the field instead of crashing mid-render.
 */
import { InputError } from '../lib/errors';
import type { Envelope } from '../lib/results/envelope';

type Problem = [field: string, expected: string, received: unknown];

const obj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

export function reportProblem(e: Envelope): Problem | undefined {
  const v = e as unknown as Record<string, unknown>;
  if (v.runtime !== undefined && !obj(v.runtime))
    return ['runtime', 'an object {wallMs, events, ...}', v.runtime];
  if (v.incomplete !== undefined) {
    if (!obj(v.incomplete)) return ['incomplete', 'an object {reason}', v.incomplete];
    if (typeof v.incomplete.reason !== 'string')
      return ['incomplete.reason', 'a string', v.incomplete.reason];
  }
  const ref = v.reference;
  if (ref === undefined) return undefined;
  if (!obj(ref)) return ['reference', 'an object {source, points}', ref];
  if (typeof ref.source !== 'string') return ['reference.source', 'a string', ref.source];
  if (!Array.isArray(ref.points)) return ['reference.points', 'a list of points', ref.points];
  for (const [i, p] of ref.points.entries()) {
    const at = `reference.points[${i}]`;
    if (!obj(p)) return [at, 'an object {label, metrics}', p];
    if (typeof p.label !== 'string') return [`${at}.label`, 'a string', p.label];
    if (!obj(p.metrics)) return [`${at}.metrics`, 'an object of metrics', p.metrics];
  }
  return undefined;
}

/** Throws BAD_RUN_DIR in readSummary's form: `<path>: <field>: expected ..., received ...`. */
export function checkReportEnvelope(e: Envelope, path: string): Envelope {
  const problem = reportProblem(e);
  if (!problem) return e;
  const [field, expected, received] = problem;
  throw new InputError(`${path}: ${field}`, expected, received, 'BAD_RUN_DIR');
}
