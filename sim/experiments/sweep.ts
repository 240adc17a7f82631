/**
 * A sweep over one parameter path: the same run once per value, every other parameter and
 * the seed unchanged (common random numbers), so the differences between points come from
 * that parameter alone. copy-sweep is a sweep over `storage.copies`; any model can sweep
 * any leaf of its tree the same way.
 */
import { InputError } from '../../lib/errors';
import type { Metrics, Point } from '../../lib/results/envelope';
import { type IoCall, replayIo, SweepJobsError, SweepStop, sweepKey, takeSweepMode } from './sweep-jobs';

export interface SweepAxis<V = unknown> {
  /** Dotted parameter path, e.g. `storage.copies`. */
  path: string;
  values: readonly V[];
  /** One label per value (the point's name in tables, charts and the envelope). */
  labels: readonly string[];
  /** The parameter that holds the labels, named when their count is wrong (e.g. `sweep.labels`). */
  labelsField?: string;
}

export interface SweepStep<V, R> {
  label: string;
  value: V;
  index: number;
  result: R;
}

/** Labels must pair with values one to one: a short list would silently drop points. */
export function checkAxis(axis: SweepAxis): void {
  if (axis.labels.length !== axis.values.length)
    throw new InputError(
      axis.labelsField ?? `labels of ${axis.path}`,
      `${axis.values.length} labels (one per ${axis.path} value)`,
      axis.labels,
    );
}

/**
 * A copy of `params` with the leaf at `path` set to `value`; the groups along the path are
 * copied, everything else shared (a run must not mutate its parameters).
 */
export function withParam<P>(params: P, path: string, value: unknown): P {
  const keys = path.split('.');
  const set = (node: unknown, i: number): unknown => {
    const key = keys[i] as string;
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key))
      throw new InputError('sweep path', 'a parameter path of the model', path, 'UNKNOWN_PARAM');
    const obj = node as Record<string, unknown>;
    return { ...obj, [key]: i === keys.length - 1 ? value : set(obj[key], i + 1) };
  };
  return set(params, 0) as P;
}

/**
 * Runs `run` once per value of the axis, in order, calling `onStep` as each point finishes.
 * Under `--jobs` (sweep-jobs.ts) the points of a model's first sweep run on worker threads:
 * `run` must then reach the outside only through its return value (structured-cloneable)
 * and the model's io, and what comes before this call must depend on (params, seed) alone.
 */
export function runSweep<P, V, R>(
  params: P,
  axis: SweepAxis<V>,
  run: (params: P, step: { label: string; value: V; index: number }) => R,
  onStep?: (step: SweepStep<V, R>, total: number) => void,
): Array<SweepStep<V, R>> {
  checkAxis(axis);
  const n = axis.values.length;
  const step = (index: number) => ({
    label: axis.labels[index] as string,
    value: axis.values[index] as V,
    index,
  });
  const mode = takeSweepMode();
  if (mode?.kind === 'discover')
    throw new SweepStop({ params, axis, run: run as (p: unknown, s: unknown) => unknown });
  if (mode?.kind === 'worker') {
    for (let k = mode.claim(); k < n; k = mode.claim()) {
      const calls: IoCall[] = [];
      mode.capture(calls);
      const result = run(withParam(params, axis.path, axis.values[k]), step(k));
      mode.capture(undefined);
      mode.done({ index: k, result, io: calls });
    }
    throw new SweepStop();
  }
  if (mode?.kind === 'replay') {
    if (sweepKey(params, axis) !== mode.expect)
      throw new SweepJobsError(
        `the sweep over ${axis.path} differs between passes: the model's run is not a function of its parameters and seed`,
      );
    return mode.outcomes.map((o) => {
      replayIo(o.io, mode.io);
      const s = { ...step(o.index), result: o.result as R };
      onStep?.(s, n);
      return s;
    });
  }
  return axis.values.map((value, index) => {
    const label = axis.labels[index] as string;
    const result = run(withParam(params, axis.path, value), { label, value, index });
    const step = { label, value, index, result };
    onStep?.(step, axis.values.length);
    return step;
  });
}

/** The envelope point of one sweep step: its label, the swept value under its path, its metrics. */
export function sweepPoint(
  axis: SweepAxis,
  step: { label: string; value: unknown },
  metrics: Metrics,
): Point {
  return { label: step.label, params: { [axis.path]: step.value }, metrics };
}
