/**
 * A lab push-pull-race run beside its simulated twin (metrics.twin, lib/k6/push-pull-race/
 * twin.ts): per strategy and offset, the failure share and the time to first success P50/P90,
 * measured and simulated side by side (and the paired replay's share where the run had per-round
 * lags). One panel per figure, drawn by the sim-vs-measured overlay.
 */
import {
  TWIN_SHARE_PP,
  TWIN_TIME_FLOOR_S,
  TWIN_TIME_FLOOR_UNDER_S,
  TWIN_TIME_REL,
} from '../../lib/k6/push-pull-race/twin';
import { isNum } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { type OverlayBand, type OverlayRow, overlaySpec } from './sim-vs-measured';

interface Row {
  strategy: string;
  offsetS: number;
  /** paired: the twin replaying each lab round with its own measured lag (its share, and its times where a replayed pull succeeds). */
  source: 'lab' | 'sim' | 'paired';
  failedShare: number;
  p50: number | null;
  p90: number | null;
}

export function twinRows(run: ReportRun): Row[] {
  const twin = run.envelope.metrics.twin as { rows?: unknown } | undefined;
  if (!twin || !Array.isArray(twin.rows)) return [];
  const out: Row[] = [];
  for (const r of twin.rows as Array<Record<string, unknown>>) {
    if (typeof r.strategy !== 'string' || !isNum(r.offsetS)) continue;
    for (const source of ['lab', 'sim'] as const) {
      const share = r[`${source}FailedShare`];
      const t = r[`${source}ToSuccessS`] as { p50?: unknown; p90?: unknown } | null;
      if (!isNum(share)) continue;
      out.push({
        strategy: r.strategy,
        offsetS: r.offsetS,
        source,
        failedShare: share,
        p50: t && isNum(t.p50) ? t.p50 : null,
        p90: t && isNum(t.p90) ? t.p90 : null,
      });
    }
    if (isNum(r.pairedFailedShare)) {
      const t = r.pairedToSuccessS as { p50?: unknown; p90?: unknown } | null | undefined;
      out.push({
        strategy: r.strategy,
        offsetS: r.offsetS,
        source: 'paired',
        failedShare: r.pairedFailedShare,
        p50: t && isNum(t.p50) ? t.p50 : null,
        p90: t && isNum(t.p90) ? t.p90 : null,
      });
    }
  }
  return out;
}

/** The share target as a band around the lab's value, clipped to [0, 1]. */
export function shareTargetBand(lab: number): [number, number] {
  return [Math.max(0, lab - TWIN_SHARE_PP), Math.min(1, lab + TWIN_SHARE_PP)];
}

/**
 * The simulated times that pass the twin's time check (closeEnough(lab, sim) in
 * lib/k6/push-pull-race/twin.ts) for a lab time: the relative tolerance is on the simulated
 * value, so the band is [lab / (1 + rel), lab / (1 - rel)], widened by the absolute floor
 * where the simulated value may be under the floor's threshold. Both pieces contain the lab
 * value, so their union is one interval.
 */
export function timeTargetBand(lab: number): [number, number] {
  let low = lab / (1 + TWIN_TIME_REL);
  let high = lab / (1 - TWIN_TIME_REL);
  if (lab - TWIN_TIME_FLOOR_S < TWIN_TIME_FLOOR_UNDER_S) {
    low = Math.min(low, Math.max(0, lab - TWIN_TIME_FLOOR_S));
    high = Math.max(high, Math.min(lab + TWIN_TIME_FLOOR_S, TWIN_TIME_FLOOR_UNDER_S));
  }
  return [low, high];
}

const pct = (v: number) => `${Math.round(v * 100)}`;
const SHARE_LABEL = `±${pct(TWIN_SHARE_PP)} pp of the lab`;
const TIME_LABEL = `±${pct(TWIN_TIME_REL)}% (or ${TWIN_TIME_FLOOR_S} s under ${TWIN_TIME_FLOOR_UNDER_S} s) of the lab`;

/**
 * The sim-vs-measured overlay (./sim-vs-measured): strategy is the colour, lab / sim / paired
 * the dash, one panel per figure (failure share, P50, P90), and the target band around each
 * lab point, so a simulated point outside its shaded band is a missed target.
 */
export function twinSpec(run: ReportRun): VegaLiteSpec | null {
  const values = twinRows(run);
  if (values.length === 0) return null;
  const figures = [
    {
      id: 'failed',
      get: (r: Row) => r.failedShare,
      band: shareTargetBand,
      label: SHARE_LABEL,
    },
    {
      id: 'p50',
      get: (r: Row) => r.p50,
      band: timeTargetBand,
      label: TIME_LABEL,
    },
    {
      id: 'p90',
      get: (r: Row) => r.p90,
      band: timeTargetBand,
      label: TIME_LABEL,
    },
  ] as const;
  const rows: OverlayRow[] = [];
  const bands: OverlayBand[] = [];
  for (const f of figures)
    for (const r of values) {
      const y = f.get(r);
      if (y === null) continue;
      rows.push({
        source: r.source,
        side: r.source === 'lab' ? 'measured' : 'simulated',
        group: r.strategy,
        panel: f.id,
        x: r.offsetS,
        y,
      });
      if (r.source === 'lab') {
        const [low, high] = f.band(y);
        bands.push({ panel: f.id, group: r.strategy, axis: 'y', x: r.offsetS, low, high, label: f.label });
      }
    }
  return overlaySpec({
    rows,
    bands,
    sources: ['lab', 'sim', 'paired'],
    groupTitle: 'strategy',
    width: 240,
    height: 200,
    x: { title: 'pull offset after the ack (s)' },
    panels: [
      { id: 'failed', title: 'failed pulls', y: { title: 'pullers that failed', format: '%' } },
      {
        id: 'p50',
        title: 'time to first success, P50',
        y: { title: 'push ack -> tag resolved (s)', format: '.3f' },
      },
      {
        id: 'p90',
        title: 'time to first success, P90',
        y: { title: 'push ack -> tag resolved (s)', format: '.3f' },
      },
    ].filter((p) => rows.some((r) => r.panel === p.id)),
  });
}

export const raceTwinChart: ChartEntry<ReportRun> = {
  id: 'race-twin',
  title: 'Lab vs simulated twin, per strategy and offset',
  help: 'push-pull-race on the lab: failure share and time to first success beside `sim replication` with the lab parameters',
  caption: (run) => {
    const twin = run.envelope.metrics.twin as
      | {
          targetsMet?: boolean;
          targetsMetWithReplay?: boolean;
          sets?: string[];
          clock?: 'lab' | 'k6';
          pairing?: { lab: number; k6: number };
        }
      | undefined;
    const clock =
      twin?.clock === 'lab'
        ? ` The replay ran on the lab's one clock for ${twin.pairing?.lab ?? 0} pulls (each first manifest GET as the pull region's front recorded it, beside the landing the replicator stamped) and on k6's send instant for ${twin.pairing?.k6 ?? 0} (wait-webhook, pin-home).`
        : twin?.clock === 'k6'
          ? " The replay put k6's send instant against the lab's landing (no lab records of the pulls): at an offset within milliseconds of the lag, two clocks may disagree."
          : '';
    return `Colour is the strategy. Solid lines are measured in the lab, dashed lines simulated by \`stampede sim replication\` with the lab's parameters and the run's measured lag spread (${twin?.sets?.length ?? 0} --set values, in summary.json metrics.twin.sets); dotted, the paired replay (each lab pull against its round's own landing), which is what a few rounds can check at an offset inside the lag's spread.${clock} The shaded band around each lab point is its target; hover a simulated point for its error. Targets: failure share within ${pct(TWIN_SHARE_PP)} pp and P50/P90 within ${pct(TWIN_TIME_REL)}% (${TWIN_TIME_FLOOR_S} s under ${TWIN_TIME_FLOOR_UNDER_S} s) per point: ${twin?.targetsMet ? 'met' : twin?.targetsMetWithReplay ? 'met only with the paired replay at some offsets' : 'not all met'}.`;
  },
  build: (run) => twinSpec(run),
};
