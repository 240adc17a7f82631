/**
 * `stampede sim replication`: the push -> cross-region pull race, tag overwrite and delete
 * propagation under asynchronous geo-replication, the pull strategies that work around
 * them, two bounded-staleness designs, and DNS bouncing during a push. Registered in
 * sim/experiments/registry.ts.
 */
import { InputError } from '../../../lib/errors';
import type { Envelope, Metrics, Point, Quantiles } from '../../../lib/results/envelope';
import { cdf, quantiles } from '../../../lib/results/stats';
import { replicationDisagreementChart } from '../../../reports/charts/replication-disagreement';
import { replicationLagCdfChart } from '../../../reports/charts/replication-lag-cdf';
import { replicationOffsetsChart } from '../../../reports/charts/replication-offsets';
import { replicationScatterChart } from '../../../reports/charts/replication-scatter';
import { defineModel, type ModelIo, type ModelResult } from '../../experiments/model';
import { MITIGATIONS, type ReplicationParams, replicationSchema, STRATEGIES } from './params';
import { lagCdfRows, simulateReplication } from './simulate';

export function validateReplication(p: ReplicationParams): void {
  const names = p.regions.names;
  if (names.length < 2) throw new InputError('regions.names', 'at least two regions', names);
  if (!names.includes(p.regions.home))
    throw new InputError('regions.home', `one of ${names.join(', ')}`, p.regions.home);
  p.pullers.regions.forEach((r, i) => {
    if (!names.includes(r)) throw new InputError(`pullers.regions[${i}]`, `one of ${names.join(', ')}`, r);
  });
  p.strategies.forEach((s, i) => {
    if (!(STRATEGIES as readonly string[]).includes(s))
      throw new InputError(`strategies[${i}]`, `one of ${STRATEGIES.join(', ')}`, s);
  });
  p.scatter.mitigations.forEach((s, i) => {
    if (!(MITIGATIONS as readonly string[]).includes(s))
      throw new InputError(`scatter.mitigations[${i}]`, `one of ${MITIGATIONS.join(', ')}`, s);
  });
  if (p.consistency.ackReplicas > names.length)
    throw new InputError(
      'consistency.ackReplicas',
      `at most the number of regions (${names.length})`,
      p.consistency.ackReplicas,
    );
  const xq = p.replication.extraLagQuantilesS;
  xq.forEach((v, i) => {
    if (i > 0 && v < (xq[i - 1] as number))
      throw new InputError(
        `replication.extraLagQuantilesS[${i}]`,
        `quantiles in non-decreasing order (at least ${xq[i - 1]})`,
        v,
      );
  });
  if (xq.length === 1)
    throw new InputError(
      'replication.extraLagQuantilesS',
      'none, or at least 2 quantiles (the lowest and the highest)',
      xq,
    );
  if (p.retry.capS < p.retry.baseS)
    throw new InputError('retry.capS', `at least retry.baseS (${p.retry.baseS})`, p.retry.capS);
}

const q = (v: number[]): Quantiles | null => (v.length ? quantiles(v) : null);

export function runReplication(p: ReplicationParams, seed: number, io: ModelIo): ModelResult {
  const out = simulateReplication(p, seed, (done, total) => io.progress(done, total, 'strategies'));
  io.raw(out.lags);
  io.raw(out.windows.map((w) => ({ kind: 'window', ...w })));
  io.raw(out.pullers);
  io.raw(out.scatter.map((s) => ({ kind: 'scatter', ...s })));

  const lagsByRegion: Record<string, Quantiles | null> = {};
  for (const r of out.timeline.targets)
    lagsByRegion[r] = q(out.lags.filter((l) => l.region === r).map((l) => l.lagS));
  const windowsByRegion: Record<string, Quantiles | null> = {};
  for (const r of out.timeline.targets)
    windowsByRegion[r] = q(out.windows.filter((w) => w.region === r).map((w) => w.windowS));
  const windowCdf = out.timeline.targets.flatMap((region) =>
    cdf(out.windows.filter((w) => w.region === region).map((w) => w.windowS)).map((c) => ({ region, ...c })),
  );

  const points: Point[] = out.strategies.map((s) => ({
    label: s.strategy,
    params: { strategy: s.strategy },
    metrics: {
      pullers: s.pullers,
      failedPulls: s.failedPulls,
      failedShare: s.failedShare,
      staleShare: s.staleShare,
      ghostShare: s.ghostShare,
      timeToSuccessS: s.toSuccessS,
      pullLatencyS: s.pullLatencyS,
      attemptsMean: s.attemptsMean,
      errors: s.errors,
      byOffset: s.byOffset,
    },
  }));
  const byCode: Record<string, number> = { MANIFEST_UNKNOWN: 0, BLOB_UNKNOWN: 0 };
  for (const s of out.strategies)
    for (const [k, v] of Object.entries(s.errors.byCode)) byCode[k] = (byCode[k] ?? 0) + v;
  for (const s of out.scatter)
    for (const [k, v] of Object.entries(s.byCode)) byCode[k] = (byCode[k] ?? 0) + v;
  const allLags = out.lags.map((l) => l.lagS);
  const metrics: Metrics = {
    mode: p.mode,
    pushes: p.pushes.count,
    pullers: p.pullers.count,
    pullerRegions: out.pullerRegions,
    replicationLagS: quantiles(allLags),
    replicationLagByRegion: lagsByRegion,
    lagCdf: lagCdfRows(out.lags),
    maxBacklog: out.timeline.maxBacklog,
    pushLatencyS: q(out.pushLatencyS),
    disagreementS: q(out.disagreementS),
    windowByRegion: windowsByRegion,
    windowCdf,
    design: { proxyPull: p.consistency.proxyPull, ackReplicas: p.consistency.ackReplicas },
    failedShareByStrategy: Object.fromEntries(out.strategies.map((s) => [s.strategy, s.failedShare])),
    errors: { total: Object.values(byCode).reduce((a, b) => a + b, 0), byCode },
    scatter: out.scatter,
  };
  return { metrics, points, events: out.events };
}

const f2 = (v: unknown) => (typeof v === 'number' ? v.toFixed(2) : '-');
const pct = (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : '-');
const quant = (x: unknown) => {
  const v = x as Quantiles | null | undefined;
  return v ? `P50 ${f2(v.p50)}  P90 ${f2(v.p90)}  P99 ${f2(v.p99)}  max ${f2(v.max)} s` : '-';
};

export function replicationTable(env: Envelope): string[] {
  const m = env.metrics;
  const lines = [
    `mode ${String(m.mode)}: ${m.pushes} pushes, ${m.pullers} pullers in ${((m.pullerRegions as string[]) ?? []).join(', ')}`,
    `replication lag          ${quant(m.replicationLagS)}`,
    `push latency (to ack)    ${quant(m.pushLatencyS)}`,
  ];
  if (m.mode !== 'race')
    lines.push(
      `${m.mode === 'delete' ? 'delete propagation' : 'digest disagreement'}      ${quant(m.disagreementS)}`,
    );
  lines.push('strategy       failed   stale   ghost   to success P50 / P90 (s)   errors');
  for (const pt of env.points) {
    const x = pt.metrics;
    const t = x.timeToSuccessS as Quantiles | null;
    lines.push(
      `${pt.label.padEnd(14)} ${pct(x.failedShare).padStart(6)}  ${pct(x.staleShare).padStart(6)}  ${pct(x.ghostShare).padStart(6)}   ${`${f2(t?.p50)} / ${f2(t?.p90)}`.padEnd(26)} ${(x.errors as { total: number }).total}`,
    );
  }
  const sc =
    (m.scatter as Array<{ mitigation: string; scatteredShare: number; closedForm: number | null }>) ?? [];
  if (sc.length)
    lines.push(
      `scattered pushes         ${sc.map((s) => `${s.mitigation} ${pct(s.scatteredShare)}${s.closedForm === null ? '' : ` (closed form ${pct(s.closedForm)})`}`).join(', ')}`,
    );
  return lines;
}

export const replicationModel = defineModel({
  name: 'replication',
  summary: 'Geo-replication races: push -> cross-region pull, tag overwrite, delete, DNS scatter',
  help: [
    'Simulates asynchronous geo-replication as the lab runs it: per target replica a FIFO of copies',
    '(due after baseLagS + jitter, `concurrency` in flight sharing bandwidthBps), webhooks once content',
    'lands, and pullers in other regions pulling each push at an offset after its ack with the strategies',
    'none, retry, fixed-sleep, wait-webhook, pin-home (one point each). Modes: race, overwrite (re-push',
    'of the same tag), delete. Switches for two bounded-staleness designs: consistency.proxyPull (a',
    'replica lacking the tag proxies the pull) and consistency.ackReplicas (ack once k replicas hold it).',
    'Also: DNS bouncing during a push through a flapping global name, scattered share per mitigation.',
    '',
    'Examples:',
    '  stampede sim replication',
    '  stampede sim replication --set pullers.offsets=0,1,2,3,4,5 --set replication.jitterS=4',
    '  stampede sim replication --set mode=overwrite --set overwrite.gapS=2',
    '  stampede sim replication --set consistency.ackReplicas=3 --set strategies=none',
    '  stampede sim replication --set regions.names=r1,r2,r3,r4,r5,r6 --set regions.home=r1 \\',
    '      --set pullers.count=5000 --set image.bytes=10Gi --set pushes.perMinute=50 --set pushes.count=500',
  ].join('\n'),
  schema: replicationSchema,
  validate: (p) => validateReplication(p),
  run: (p, seed, io) => runReplication(p, seed, io),
  table: replicationTable,
  charts: [
    replicationLagCdfChart,
    replicationOffsetsChart,
    replicationDisagreementChart,
    replicationScatterChart,
  ],
});
