/**
 * Fault and phase markers (a fault injected or cleared, a sweep point or shard starting) as
 * vertical rules on a time axis, labelled at the top. A layer to add to any chart whose x is
 * `t`, seconds since the run's first point.
 */
import type { Marker } from '../k6-aggregate';

export const MARKER_COLOR = '#8250df';

/** Layers to append to a time chart; none without markers. `labels` on the first panel only. */
export function markerLayers(markers: readonly Marker[], labels = true): object[] {
  if (markers.length === 0) return [];
  const data = { values: markers.map((m) => ({ t: m.t, label: m.label, kind: m.kind })) };
  const rule = {
    data,
    mark: { type: 'rule', color: MARKER_COLOR, strokeDash: [4, 3] },
    encoding: {
      x: { field: 't', type: 'quantitative' },
      tooltip: [
        { field: 'label', title: 'marker' },
        { field: 'kind' },
        { field: 't', title: 'seconds', format: '.1f' },
      ],
    },
  };
  if (!labels) return [rule];
  return [
    rule,
    {
      data,
      mark: {
        type: 'text',
        color: MARKER_COLOR,
        align: 'left',
        baseline: 'top',
        dx: 3,
        dy: 2,
        angle: 0,
        fontSize: 10,
      },
      encoding: {
        x: { field: 't', type: 'quantitative' },
        y: { value: 0 },
        text: { field: 'label' },
      },
    },
  ];
}
