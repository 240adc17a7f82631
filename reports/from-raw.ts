/**
 * Rebuilds what it can of an envelope from raw.ndjson alone, for a run killed before it
 * wrote summary.json. Records are grouped by their `point` label; per-record durations
 * (podStartupS, pullS, replicationLagS, failoverS) become quantiles, `egressBps` becomes the
 * node egress distribution, throttles and errors are counted. A leading record with
 * `type: "meta"` (or "start") may name the run, its kind, seed and params.
 */
import { isPoint, k6Envelope } from '../lib/k6/collect';
import type { Envelope, Metrics, Point } from '../lib/results/envelope';
import { cdf, egressQuantiles, quantiles } from '../lib/results/stats';
import { entry, isNum } from './points';
import type { RawRecord } from './types';

const DURATIONS = ['podStartupS', 'pullS', 'replicationLagS', 'failoverS'] as const;

interface Group {
  durations: Map<string, number[]>;
  egress: number[];
  throttles: number;
  sawThrottle: boolean;
  errors: Map<string, number>;
}

function newGroup(): Group {
  return { durations: new Map(), egress: [], throttles: 0, sawThrottle: false, errors: new Map() };
}

function addRecord(g: Group, r: RawRecord): void {
  for (const k of DURATIONS) {
    const v = r[k];
    if (!isNum(v)) continue;
    const list = g.durations.get(k) ?? [];
    list.push(v);
    g.durations.set(k, list);
  }
  if (isNum(r.egressBps)) g.egress.push(r.egressBps);
  if (isNum(r.throttleEvents)) {
    g.throttles += r.throttleEvents;
    g.sawThrottle = true;
  } else if (r.throttled === true) {
    g.throttles += 1;
    g.sawThrottle = true;
  }
  const code =
    typeof r.error === 'string' ? r.error : r.ok === false && typeof r.code === 'string' ? r.code : undefined;
  if (code) g.errors.set(code, (g.errors.get(code) ?? 0) + 1);
}

function metricsOf(g: Group): Metrics {
  const m: Metrics = {};
  for (const [k, values] of g.durations) m[k] = quantiles(values);
  const startup = g.durations.get('podStartupS');
  if (startup) m.podStartupCdf = cdf(startup);
  const pulls = g.durations.get('pullS');
  if (pulls) m.pullCdf = cdf(pulls);
  if (g.egress.length > 0) m.nodeEgressBps = egressQuantiles(g.egress);
  if (g.sawThrottle) m.throttleEvents = g.throttles;
  if (g.errors.size > 0) {
    const byCode = Object.fromEntries(g.errors);
    m.errors = { total: Object.values(byCode).reduce((a, b) => a + b, 0), byCode };
  }
  return m;
}

function isMeta(r: RawRecord): boolean {
  return r.type === 'meta' || r.type === 'start';
}

/**
 * The scenario k6 tagged its points with: the name the run command gives the summary, so a
 * rebuilt run's point label matches a finished run's and comparisons line up (the run
 * dir's name carries a timestamp).
 */
export function k6Scenario(raw: readonly RawRecord[]): string | undefined {
  for (const r of raw) {
    const scenario = isPoint(r) ? r.data.tags?.scenario : undefined;
    if (typeof scenario === 'string' && scenario) return scenario;
  }
  return undefined;
}

/** First to last k6 timestamp: what was measured before the kill, not the process's life. */
export function k6SpanMs(raw: readonly RawRecord[]): number {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const r of raw) {
    const ms = isPoint(r) ? Date.parse(r.data.time) : Number.NaN;
    if (!Number.isFinite(ms)) continue;
    lo = Math.min(lo, ms);
    hi = Math.max(hi, ms);
  }
  return hi > lo ? hi - lo : 0;
}

export function envelopeFromRaw(raw: readonly RawRecord[], fallbackName: string): Envelope {
  const reason = `summary.json missing: rebuilt from ${raw.length} raw record(s) in raw.ndjson`;
  // k6's own JSON output: summarised by the same code the run command uses, so a killed
  // k6 run's page has the pull quantiles, CDF and errors a finished one has.
  if (raw.some((r) => r.type === 'Point' && typeof r.metric === 'string'))
    return k6Envelope({
      name: k6Scenario(raw) ?? fallbackName,
      params: {},
      records: raw,
      wallMs: k6SpanMs(raw),
      incomplete: reason,
    });
  const meta = raw.find(isMeta) ?? {};
  const all = newGroup();
  const groups = new Map<string, Group>();
  for (const r of raw) {
    if (isMeta(r)) continue;
    addRecord(all, r);
    if (typeof r.point !== 'string') continue;
    addRecord(entry(groups, r.point, newGroup), r);
  }
  const points: Point[] = [...groups].map(([label, g]) => ({ label, params: {}, metrics: metricsOf(g) }));
  const kind = meta.kind === 'k6' ? 'k6' : 'sim';
  const params = meta.params;
  return {
    tool: 'stampede',
    kind,
    name: typeof meta.name === 'string' ? meta.name : fallbackName,
    // NaN, not 0: an unknown seed must never read as "seed 0" (the page prints "unknown").
    seed: isNum(meta.seed) ? meta.seed : Number.NaN,
    params:
      typeof params === 'object' && params !== null && !Array.isArray(params)
        ? (params as Record<string, unknown>)
        : {},
    metrics: metricsOf(all),
    points,
    runtime: { wallMs: 0, events: raw.length },
    incomplete: { reason },
  };
}
