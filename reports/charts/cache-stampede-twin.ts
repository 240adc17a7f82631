/**
 * A lab cache-stampede run beside its simulator twin (metrics.model, lib/k6/cache-stampede/
 * model.ts): the cold wave's pull P50/P90, measured and predicted, drawn by the
 * sim-vs-measured overlay with the error per figure below. With waves=2 the twin's lab
 * serving was fitted on the hydrated wave only, so the cold wave's error is held out; the
 * caption says which, and the fit's own error on the hydrated wave.
 */
import type { CacheTwin } from '../../lib/k6/cache-stampede/model';
import { LATENCY_TOLERANCE } from '../../lib/k6/cache-stampede/model';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { simVsMeasuredSpec } from './sim-vs-measured';

/** The run's twin, when it has one with pull times on both sides. */
export function twinOf(run: ReportRun): CacheTwin | null {
  const m = run.envelope.metrics.model as Partial<CacheTwin> | undefined;
  if (!m?.predicted?.pullS || !m.measured?.pullS || !m.serving) return null;
  return m as CacheTwin;
}

export function cacheTwinSpec(run: ReportRun): VegaLiteSpec | null {
  const t = twinOf(run);
  if (!t?.predicted.pullS || !t.measured.pullS) return null;
  const fitted = !('skipped' in t.serving);
  return simVsMeasuredSpec({
    unit: 's',
    what: 'cold-wave pull time',
    measured: { quantiles: t.measured.pullS, label: 'lab, cold wave' },
    simulated: {
      quantiles: t.predicted.pullS,
      label: fitted ? 'sim twin (serving fitted on wave 2)' : 'sim twin (protocol only)',
    },
  });
}

const pct = (e: number | null | undefined) =>
  typeof e === 'number' ? `${e >= 0 ? '+' : ''}${(e * 100).toFixed(0)}%` : 'n/a';

export const cacheStampedeTwinChart: ChartEntry<ReportRun> = {
  id: 'cache-stampede-twin',
  title: 'Cold-wave pull time: lab vs simulated twin',
  help: 'cache-stampede on the lab: the cold wave pull P50/P90 beside `sim cache-stampede` with the run settings and the lab serving fitted on the hydrated wave',
  caption: (run) => {
    const t = twinOf(run);
    if (!t) return '';
    const s = t.serving;
    const target = `Target: within ±${LATENCY_TOLERANCE * 100}%`;
    if ('skipped' in s)
      return `The twin's pull times are the protocol's alone (${s.skipped}); ${target}, not expected without a serving fit.`;
    const he = t.heldOutError;
    return `Solid: the lab's cold wave; dashed: the simulator's prediction of it, with the lab machine's serving (${(s.requestS * 1000).toFixed(2)} ms per request, ${(s.bps / 1e6).toFixed(0)} MB/s, ${s.servers} servers, ${s.pollers} gate pollers) fitted on the hydrated wave only (fit error P50 ${pct(s.fitError.p50)}, P90 ${pct(s.fitError.p90)}). The cold wave is held out: error P50 ${pct(he?.p50)}, P90 ${pct(he?.p90)}. ${target}: ${t.within.p50 && t.within.p90 ? 'met' : 'missed'}.`;
  },
  build: (run) => cacheTwinSpec(run),
};
