/**
 * The per-layer copy-count sweep of the ACR post: the same cold-pull storm at each copy
 * count in sweep.copies, one point per configuration. It is the generic sweep
 * (sim/experiments/sweep.ts) over `storage.copies`: nothing else changes between points, and
 * every point uses the same seed (common random numbers), so the differences between points
 * come from the copy count, not from luck.
 */
import { InputError } from '../../../lib/errors';
import { checkAxis, runSweep, type SweepAxis } from '../../experiments/sweep';
import { type ColdPullRun, runColdPull } from '../cold-pull/storm';
import { runLabPull } from '../lab-pull/storm';
import type { CopySweepParams } from './params';

export interface SweepPoint {
  label: string;
  copies: number;
  run: ColdPullRun;
}

/** The sweep's axis: storage.copies over sweep.copies, labelled by sweep.labels. */
export function copiesAxis(params: CopySweepParams): SweepAxis<number> {
  return {
    path: 'storage.copies',
    values: params.sweep.copies,
    // A lab sweep's points are named by their copy count, as `stampede run copy-sweep` names them.
    labels: params.lab.enabled ? params.sweep.copies.map((c) => `C=${c}`) : params.sweep.labels,
    labelsField: 'sweep.labels',
  };
}

/** Labels one per copy count, and every copy count placeable on the pool. */
export function sweepLabels(params: CopySweepParams): string[] {
  const axis = copiesAxis(params);
  checkAxis(axis);
  for (const c of params.sweep.copies)
    if (c > params.storage.backends)
      throw new InputError(
        'sweep.copies',
        `copy counts <= storage.backends (${params.storage.backends})`,
        params.sweep.copies,
      );
  return params.sweep.labels;
}

export function runCopySweep(
  params: CopySweepParams,
  seed: number,
  onPoint?: (p: SweepPoint, index: number, total: number) => void,
): SweepPoint[] {
  sweepLabels(params);
  return runSweep(
    params,
    copiesAxis(params),
    (p) => (p.lab.enabled ? runLabPull(p, seed) : runColdPull(p, seed)),
    (step, total) =>
      onPoint?.({ label: step.label, copies: step.value, run: step.result }, step.index, total),
  ).map((s) => ({ label: s.label, copies: s.value, run: s.result }));
}
