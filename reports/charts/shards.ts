/**
 * A `stampede run --shards N` run per k6 process (issue 18): each shard's pulls per second
 * over the run's time axis, with the shard start / end / kill markers, and beside it each
 * shard's pull-duration P50/P90/P99/max with "all" (every shard's samples together, the
 * figure the envelope reports). Two shards of one scenario should look alike: a shard whose
 * line stops early was killed or finished its segment first; one whose quantiles sit apart
 * ran on a slower path (a CPU-starved process, another region).
 */
import type { K6Aggregate } from '../k6-aggregate';
import type { VegaLiteSpec } from '../types';
import { INK, PALETTE, SCHEMA } from './common';
import { markerLayers } from './markers';
import { binAxis } from './time-bins';

const FIGURES = ['p50', 'p90', 'p99', 'max'] as const;
const FIGURE_NAMES: Record<(typeof FIGURES)[number], string> = {
  p50: 'P50',
  p90: 'P90',
  p99: 'P99',
  max: 'max',
};

export function shardsSpec(agg: K6Aggregate | undefined): VegaLiteSpec | null {
  if (!agg || agg.shards.length === 0) return null;
  const shards = [...new Set(agg.shards.map((r) => r.shard))];
  const names = (s: string) => (s === 'all' ? 'all shards' : `shard ${s}`);
  const domain = [...shards.map(names), 'all shards'];
  const color = {
    field: 'name',
    type: 'nominal',
    title: null,
    scale: { domain, range: [...shards.map((_, i) => PALETTE[i % PALETTE.length] as string), INK] },
  };
  const time = agg.shards.map((r) => ({ ...r, name: names(r.shard) }));
  // Only the shards' own markers (start, done, killed) and faults: the first-seen "shard 0"
  // tag markers say the same as "shard 0 starts".
  const marks = agg.markers.filter((m) => !/^shard \S+$/.test(m.label));
  const quantiles = agg.shardQuantiles.flatMap((r) =>
    FIGURES.map((f) => ({ name: names(r.shard), figure: FIGURE_NAMES[f], ms: r[f], pulls: r.pulls })),
  );
  const left = {
    width: 520,
    height: 220,
    title: { text: 'Pulls per second, per k6 process', anchor: 'start', fontSize: 12 },
    layer: [
      {
        data: { values: time },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x: binAxis(agg),
          y: { field: 'pullsPerS', type: 'quantitative', title: 'pulls ending per second' },
          color,
          tooltip: [
            { field: 'name', title: 'process' },
            { field: 't', title: 'bin start (s)' },
            { field: 'pulls' },
            { field: 'failed' },
            { field: 'pullsPerS', title: 'pulls/s', format: '.2f' },
          ],
        },
      },
      ...markerLayers(marks),
    ],
  };
  const right = {
    width: 260,
    height: 220,
    title: { text: 'Pull duration per k6 process', anchor: 'start', fontSize: 12 },
    data: { values: quantiles },
    mark: { type: 'line', point: { size: 50 }, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'figure', type: 'ordinal', sort: FIGURES.map((f) => FIGURE_NAMES[f]), title: null },
      y: { field: 'ms', type: 'quantitative', title: 'pull duration (ms)', scale: { type: 'log' } },
      color,
      strokeDash: {
        condition: { test: "datum.name === 'all shards'", value: [5, 3] },
        value: [1, 0],
      },
      tooltip: [
        { field: 'name', title: 'process' },
        { field: 'figure' },
        { field: 'ms', title: 'ms', format: ',.0f' },
        { field: 'pulls', title: 'ok pulls' },
      ],
    },
  };
  if (quantiles.length === 0) return { $schema: SCHEMA, ...left } as VegaLiteSpec;
  return { $schema: SCHEMA, hconcat: [left, right], resolve: { scale: { color: 'shared' } } } as VegaLiteSpec;
}
