/**
 * The per-layer copy-count sweep of the ACR post: the same cold-pull storm at each copy
 * count in sweep.copies, one point per configuration. Nothing but storage.copies changes
 * between points, and every point uses the same seed (common random numbers), so the
 * differences between points come from the copy count, not from luck.
 */
import { InputError } from '../../lib/errors';
import type { Point } from '../../lib/results/envelope';
import { type ColdPullRun, runColdPull } from './cold-pull';
import type { CopySweepParams } from './params';

export interface SweepPoint {
  label: string;
  copies: number;
  run: ColdPullRun;
}

export function sweepLabels(params: CopySweepParams): string[] {
  const { copies, labels } = params.sweep;
  if (labels.length !== copies.length)
    throw new InputError('sweep.labels', `${copies.length} labels (one per sweep.copies entry)`, labels);
  for (const c of copies)
    if (c > params.storage.backends)
      throw new InputError(
        'sweep.copies',
        `copy counts <= storage.backends (${params.storage.backends})`,
        copies,
      );
  return labels;
}

export function runCopySweep(
  params: CopySweepParams,
  seed: number,
  onPoint?: (p: SweepPoint, index: number, total: number) => void,
): SweepPoint[] {
  const labels = sweepLabels(params);
  return params.sweep.copies.map((copies, i) => {
    const run = runColdPull({ ...params, storage: { ...params.storage, copies } }, seed);
    const point = { label: labels[i] as string, copies, run };
    onPoint?.(point, i, labels.length);
    return point;
  });
}

export function sweepPoints(points: SweepPoint[]): Point[] {
  return points.map((p) => ({
    label: p.label,
    params: { 'storage.copies': p.copies },
    metrics: p.run.metrics,
  }));
}
