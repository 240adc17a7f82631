/** Pieces every chart spec shares, so the page looks like one document. */
export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Tableau-10 order: the quantile colours stay the same across every chart of a page. */
export const PALETTE = [
  '#4c78a8',
  '#f58518',
  '#e45756',
  '#72b7b2',
  '#54a24b',
  '#eeca3b',
  '#b279a2',
  '#ff9da6',
];

export const ABOVE = '#d62728';
export const BELOW = '#4c78a8';
export const INK = '#222222';

/** Label of the run's own values next to published ones. */
export function ownSource(kind: 'sim' | 'k6'): string {
  return kind === 'sim' ? 'simulated' : 'measured';
}
