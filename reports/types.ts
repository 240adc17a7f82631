/**
 * Shared shapes for report building. Chart builders are pure: results in, a vega-lite
 * spec out (or null when the run does not carry the data), so they unit-test without a
 * browser and a report can be rebuilt from a run directory at any time.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Envelope } from '../lib/results/envelope';
import type { K6Aggregate } from './k6-aggregate';

export type VegaLiteSpec = TopLevelSpec;

/** One raw.ndjson line; its shape depends on the runner, so every key is optional. */
export type RawRecord = Record<string, unknown>;

/** One run as a report sees it. `label` names it in comparisons (run name + dir). */
export interface ReportRun {
  envelope: Envelope;
  raw: readonly RawRecord[];
  label: string;
  /** A k6 run's points aggregated per time bin (reports/k6-aggregate): the load, anatomy, bytes and error charts. */
  k6?: K6Aggregate;
}

/** A chart the page knows how to draw, with the words that help a reader read it. */
export interface ChartEntry<In> {
  id: string;
  title: string;
  /** One line for `stampede report --help`. */
  help: string;
  /** One or two sentences under the chart: what it shows and how to read it. */
  caption: (input: In) => string;
  build: (input: In) => VegaLiteSpec | null;
}

/** A chart ready to render: spec plus the words printed with it. */
export interface RenderedChart {
  id: string;
  title: string;
  caption: string;
  spec: VegaLiteSpec;
}
