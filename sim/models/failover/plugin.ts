/**
 * `stampede sim failover`: how long a fleet is down when a region degrades, and how long
 * it takes to come back. Registered in sim/experiments/registry.ts.
 */
import { InputError } from '../../../lib/errors';
import type { Envelope, Metrics, Quantiles } from '../../../lib/results/envelope';
import { cdf, quantiles } from '../../../lib/results/stats';
import { failoverCdfChart } from '../../../reports/charts/failover-cdf';
import { failoverRegionShareChart, shareOfBins } from '../../../reports/charts/failover-region-share';
import { defineModel } from '../../experiments/model';
import { type Bounds, bounds } from './bounds';
import { type FailoverParams, failoverSchema } from './params';
import { simulateFailover } from './simulate';

function present(values: ReadonlyArray<number | null>): number[] {
  return values.filter((v): v is number => v !== null);
}

function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

export function validateFailover(p: FailoverParams): void {
  const names = p.regions.names;
  if (!names.includes(p.regions.clientRegion))
    throw new InputError('regions.clientRegion', `one of ${names.join(', ')}`, p.regions.clientRegion);
  if (!names.includes(p.fault.region))
    throw new InputError('fault.region', `one of ${names.join(', ')}`, p.fault.region);
  if (p.fault.startS >= p.run.durationS)
    throw new InputError(
      'fault.startS',
      `a time before the run ends (run.durationS = ${p.run.durationS})`,
      p.fault.startS,
    );
  if (p.fault.clearS <= p.fault.startS)
    throw new InputError('fault.clearS', `a time after fault.startS (${p.fault.startS})`, p.fault.clearS);
  if (p.run.binS > p.run.durationS)
    throw new InputError('run.binS', `at most run.durationS (${p.run.durationS})`, p.run.binS);
  const tm = p.trafficManager;
  if (tm.probeTimeoutS >= tm.probeIntervalS)
    throw new InputError(
      'trafficManager.probeTimeoutS',
      `less than trafficManager.probeIntervalS (${tm.probeIntervalS}), as Azure requires`,
      tm.probeTimeoutS,
    );
  if (tm.agentsToDegrade > tm.agents)
    throw new InputError(
      'trafficManager.agentsToDegrade',
      `at most trafficManager.agents (${tm.agents})`,
      tm.agentsToDegrade,
    );
  if (tm.probePhase === 'fixed' && tm.probeOffsetS >= tm.probeIntervalS)
    throw new InputError(
      'trafficManager.probeOffsetS',
      `less than trafficManager.probeIntervalS (${tm.probeIntervalS})`,
      tm.probeOffsetS,
    );
}

export function runFailover(
  p: FailoverParams,
  seed: number,
  io: { raw(records: readonly unknown[]): void; progress(done: number, total: number, label: string): void },
): { metrics: Metrics; points: []; events: number } {
  const out = simulateFailover(p, seed, (done, total) =>
    io.progress(Math.round(done), Math.round(total), 'simulated seconds'),
  );
  io.raw(out.clients);
  io.raw(out.bins);
  io.raw(out.transitions.map((t) => ({ kind: 'tm', ...t })));

  const failover = present(out.clients.map((c) => c.failoverS));
  const switched = present(out.clients.map((c) => c.switchedS));
  const failback = present(out.clients.map((c) => c.failbackS));
  const failed = out.clients.map((c) => c.failedBeforeSuccess);
  const regionShare = shareOfBins(out.bins);
  const errorsTotal = Object.values(out.errorsByCode).reduce((a, b) => a + b, 0);
  const b: Bounds = bounds(p);
  const q = (v: number[]): Quantiles | null => (v.length ? quantiles(v) : null);
  const metrics: Metrics = {
    failoverS: q(failover) ?? undefined,
    failoverMinS: failover.length ? Math.min(...failover) : null,
    failoverMeanS: mean(failover),
    switchedS: q(switched),
    failbackS: q(failback),
    failbackMinS: failback.length ? Math.min(...failback) : null,
    failbackMeanS: mean(failback),
    detectionS: out.detectionS,
    failbackDetectionS: out.failbackDetectionS,
    clients: p.clients.count,
    clientsSwitched: switched.length,
    clientsWithoutSuccess: p.clients.count - failover.length,
    failedBeforeSuccess: { total: failed.reduce((a, c) => a + c, 0), perClient: quantiles(failed) },
    errors: { total: errorsTotal, byCode: out.errorsByCode },
    requests: out.requests,
    bounds: b,
    failoverCdf: cdf(failover),
    failbackCdf: cdf(failback),
    regionShare,
    faultWindow: {
      kind: p.fault.kind,
      region: p.fault.region,
      startS: p.fault.startS,
      clearS: p.fault.clearS,
    },
    tmTransitions: out.transitions,
  };
  if (metrics.failoverS === undefined) delete metrics.failoverS;
  return { metrics, points: [], events: out.events };
}

const fmt = (v: unknown) => (typeof v === 'number' ? `${v.toFixed(1)} s` : '-');
const range = (r: { min: number; max: number } | null | undefined) =>
  r ? `${r.min.toFixed(1)} .. ${r.max.toFixed(1)} s` : 'never (no failover)';

export function failoverTable(env: Envelope): string[] {
  const m = env.metrics;
  const w = m.faultWindow as { kind: string; region: string; startS: number; clearS: number } | undefined;
  const b = m.bounds as Bounds | undefined;
  const quant = (x: unknown) => {
    const v = x as Quantiles | null | undefined;
    return v ? `P50 ${fmt(v.p50)}  P90 ${fmt(v.p90)}  P99 ${fmt(v.p99)}  max ${fmt(v.max)}` : 'none';
  };
  const errors = m.errors as { total: number; byCode: Record<string, number> } | undefined;
  const codes = Object.entries(errors?.byCode ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `fault ${w?.kind ?? '?'} in ${w?.region ?? '?'} from ${fmt(w?.startS)} to ${fmt(w?.clearS)}`,
    `detection (Traffic Manager)  ${fmt(m.detectionS)}   bounds ${range(b?.detection)}`,
    `failover per client          ${quant(m.failoverS)}   min ${fmt(m.failoverMinS)}`,
    `  bounds per client          ${range(b?.clientFailover)} (cache staleness <= ${fmt(b?.stalenessMax)})`,
    `clients switched region      ${m.clientsSwitched ?? 0} of ${m.clients ?? '?'}   switch ${quant(m.switchedS)}`,
    `failback detection           ${fmt(m.failbackDetectionS)}   bounds ${range(b?.failbackDetection)}`,
    `failback per client          ${quant(m.failbackS)}`,
    `failed requests              ${errors?.total ?? 0}${codes ? ` (${codes})` : ''}`,
  ];
}

export const failoverModel = defineModel({
  name: 'failover',
  summary: 'Traffic-Manager failover timing: health monitor, probes, DNS caches, per-client time down',
  help: [
    'Simulates one fault in one region of a geo-replicated registry: the region health monitor',
    "(sustain window, fails open), Traffic Manager's probes (interval, timeout, tolerated failures,",
    'agents), the TTL of the global name and the chain of client-side DNS caches, and a fleet pulling',
    'continuously. Prints Traffic Manager detection, per-client failover and failback quantiles, and',
    'the exact bounds of each; writes per-client records and a per-bin region share to raw.ndjson.',
    '',
    'Examples:',
    '  stampede sim failover                                    Azure defaults (30 s / 3 / 10 s), region-down',
    '  stampede sim failover --set fault.kind=storage-fail --set cache.node.mode=cap',
    '  stampede sim failover --set trafficManager.probeIntervalS=2 --set trafficManager.toleratedFailures=2 \\',
    '      --set trafficManager.probeTimeoutS=1 --set dns.ttlS=5 --set cache.client.mode=fixed  (the fast lab)',
  ].join('\n'),
  schema: failoverSchema,
  validate: (p) => validateFailover(p),
  run: (p, seed, io) => runFailover(p, seed, io),
  table: failoverTable,
  charts: [failoverCdfChart, failoverRegionShareChart],
});
