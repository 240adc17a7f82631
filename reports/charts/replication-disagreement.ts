/**
 * Digest-disagreement and delete-propagation windows per region (empirical CDFs): overwrite
 * mode, how long after the re-push ack a replica still resolves the old digest (or none);
 * delete mode, how long after the delete a replica still serves the deleted content. Rows
 * come from the summary's `windowCdf` or raw `{kind: 'window', region, windowS}` records.
 */
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { regionCdfRows, regionCdfSpec } from './region-cdf';

export function windowRows(run: ReportRun): Array<{ series: string; value: number; fraction: number }> {
  return regionCdfRows(run, { metric: 'windowCdf', rawKind: 'window', rawField: 'windowS' }).map((r) => ({
    series: r.series,
    value: r.value,
    fraction: r.fraction,
  }));
}

export function windowSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const mode = runs[0]?.envelope.metrics.mode;
  return regionCdfSpec(runs.flatMap(windowRows), {
    x:
      mode === 'delete'
        ? 'deleted content still pullable (s after the delete)'
        : 'old digest still resolved (s after the re-push ack)',
    value: 'window (s)',
  });
}

export const replicationDisagreementChart: ChartEntry<ReportRun> = {
  id: 'replication-disagreement',
  title: 'Digest disagreement / delete propagation windows per region',
  help: 'per region, how long a replica resolves the overwritten digest or serves deleted content',
  caption: (run) =>
    run.envelope.metrics.mode === 'delete'
      ? 'Each step is one deleted tag in one region: how long after the delete at the home replica it could still be pulled there.'
      : 'Each step is one re-pushed tag in one region: how long after the re-push was acknowledged that replica still resolved the old digest (or nothing).',
  build: (run) => (run.envelope.metrics.mode === 'race' ? null : windowSpec([run])),
};
