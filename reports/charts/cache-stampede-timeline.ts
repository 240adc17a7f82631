/**
 * Upstream traffic over time per strategy of a cache-stampede run, from its `upstream-bin`
 * raw records: requests answered, refused with 429, failed (5xx / refused connection), and
 * those a breaker turned away at the front. Shows when the stampede hits, how retries come
 * back, and whether a breaker keeps an outage quiet.
 */
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

const OUTCOMES = ['ok', 'throttled', 'failed', 'rejected'] as const;
const TITLES: Record<(typeof OUTCOMES)[number], string> = {
  ok: 'answered',
  throttled: '429',
  failed: '5xx / down',
  rejected: 'breaker: refused at the front',
};

export interface TimelineRow {
  strategy: string;
  t: number;
  outcome: string;
  count: number;
}

export function timelineRows(run: ReportRun): TimelineRow[] {
  const rows: TimelineRow[] = [];
  for (const r of run.raw) {
    if (r.kind !== 'upstream-bin' || typeof r.t !== 'number' || typeof r.strategy !== 'string') continue;
    for (const o of OUTCOMES) {
      const c = r[o];
      if (typeof c === 'number' && c > 0)
        rows.push({ strategy: r.strategy, t: r.t, outcome: TITLES[o], count: c });
    }
  }
  return rows;
}

export function timelineSpec(run: ReportRun): VegaLiteSpec | null {
  const values = timelineRows(run);
  if (values.length === 0) return null;
  return {
    $schema: SCHEMA,
    data: { values },
    facet: {
      row: { field: 'outcome', type: 'nominal', sort: OUTCOMES.map((o) => TITLES[o]), title: null },
    },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 480,
      height: 110,
      mark: { type: 'point', filled: true, size: 18, tooltip: true },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'time since the first pull (s, bin start)' },
        y: { field: 'count', type: 'quantitative', title: 'requests per bin', scale: { type: 'symlog' } },
        color: { field: 'strategy', type: 'nominal', title: 'strategy' },
        tooltip: [
          { field: 'strategy', title: 'strategy' },
          { field: 'outcome', title: 'outcome' },
          { field: 't', title: 'bin start (s)' },
          { field: 'count', title: 'requests' },
        ],
      },
    },
  } as VegaLiteSpec;
}

export const cacheStampedeTimelineChart: ChartEntry<ReportRun> = {
  id: 'cache-stampede-timeline',
  title: 'Upstream requests over time',
  help: 'cache-stampede: upstream requests per time bin and strategy: answered, 429, 5xx/down, refused by a breaker',
  caption: (run) =>
    `Requests per ${((run.envelope.params as { run?: { binS?: number } }).run?.binS ?? 1).toString()} s bin that reached the upstream (answered, 429, failed) and those a breaker refused at the front, one colour per strategy (log-like scale). The burst at 0 is the cold stampede; later dots are retries after their back-off, import retries and, with a breaker, one probe per open period.`,
  build: (run) => timelineSpec(run),
};
