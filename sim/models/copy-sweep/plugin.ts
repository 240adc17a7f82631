/**
 * `stampede sim copy-sweep`: the cold-pull storm once per entry of sweep.copies (the
 * generic sweep over storage.copies with the post's five labels), the published ACR table
 * overlaid when the run is the post's own experiment.
 */
import { defaults } from '../../../lib/config/schema';
import { InputError } from '../../../lib/errors';
import type { Metrics } from '../../../lib/results/envelope';
import { sweetSpot } from '../../../lib/results/sweet-spot';
import { defineModel, type ModelResult } from '../../experiments/model';
import { sweepPoint } from '../../experiments/sweep';
import { sweepChart } from '../../experiments/sweep-chart';
import { readTargetTable, tableAsReference } from '../../experiments/target-table';
import { nodeRecords, stormTable } from '../cold-pull/output';
import { type CopySweepParams, copySweepSchema } from './params';
import { copiesAxis, runCopySweep, sweepLabels } from './sweep';

export const copySweepModel = defineModel({
  name: 'copy-sweep',
  summary: 'the per-layer copy-count sweep of the ACR post (Baseline .. Very high), one point each',
  help: `Runs the cold-pull storm once per entry of sweep.copies (Baseline, Low, Mid, Higher,
Very high), changing nothing else, and overlays the published ACR table in the report.

  stampede sim copy-sweep --preset acr-copies-2026
  stampede sim copy-sweep --preset acr-copies-2026 --set storage.fanOutCost=false   (ablation)`,
  schema: copySweepSchema,
  defaultPreset: 'acr-copies-2026',
  /**
   * copy-sweep runs each entry of sweep.copies and ignores storage.copies, so a
   * storage.copies the user gave is a mistake to name, not a value to check.
   */
  validate(params, given) {
    const expected =
      'unset for copy-sweep (it runs each entry of sweep.copies instead, e.g. --set sweep.copies=2,6,12)';
    for (const a of given.sets)
      if (a.slice(0, a.indexOf('=')).trim() === 'storage.copies')
        throw new InputError('storage.copies', expected, a.slice(a.indexOf('=') + 1));
    for (const l of given.layers) {
      const storage = (l.tree as { storage?: Record<string, unknown> }).storage;
      if (storage && Object.hasOwn(storage, 'copies'))
        throw new InputError(`storage.copies (in ${l.source})`, expected, storage.copies);
    }
    sweepLabels(params);
  },
  run(params, seed, io): ModelResult {
    const axis = copiesAxis(params);
    let events = 0;
    const points = runCopySweep(params, seed, (pt, i, total) => {
      events += pt.run.events;
      io.raw(nodeRecords(pt.label, pt.run));
      io.progress(i + 1, total, pt.label);
    }).map((pt) => sweepPoint(axis, { label: pt.label, value: pt.copies }, pt.run.metrics));
    // A one-point sweep's metrics are its point's, as for a single storm.
    const metrics: Metrics = points.length === 1 ? (points[0]?.metrics as Metrics) : {};
    const spot = sweetSpot(points);
    if (spot) metrics.sweetSpot = spot;
    const table = readTargetTable();
    const reference = sameExperiment(
      params,
      table.points.map((p) => p.label),
    )
      ? tableAsReference(table)
      : undefined;
    return { metrics, points, events, ...(reference && { reference }) };
  },
  table: stormTable,
  charts: [
    sweepChart(
      'copies-vs-startup',
      'Pod startup against copies per layer',
      'Pod-startup P50/P90/P99 against the copy count on a log axis: the tail falls while throttling goes away, then rises again as the copies in play overflow the backend caches and their streams slow (the fan-out cost).',
      {
        path: 'storage.copies',
        metric: 'podStartupS',
        xTitle: 'copies per layer',
        yTitle: 'seconds',
        logX: true,
      },
    ),
  ],
});

/**
 * The published table is the post's 1,000-node experiment (the defaults' fleet and image)
 * with its five configurations (the defaults' ladder): overlaying it on another fleet, image
 * or sweep would compare numbers that were never meant to match.
 */
function sameExperiment(p: CopySweepParams, labels: string[]): boolean {
  const post = defaults(copySweepSchema);
  return (
    p.workload.nodes === post.workload.nodes &&
    p.workload.layerSizesMiB.join() === post.workload.layerSizesMiB.join() &&
    p.sweep.labels.join() === labels.join() &&
    p.sweep.copies.join() === post.sweep.copies.join()
  );
}
