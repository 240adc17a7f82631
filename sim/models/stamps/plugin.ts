/**
 * `stampede sim stamps`: a region's multi-tenant compute stamps minute by minute, the
 * three CPU signals of every pool (pool average, single-sample Max, hot-node P95) before
 * and after a rebalancing, phase by phase; `plan.enabled=true` proposes the rebalancing.
 */
import type { Envelope } from '../../../lib/results/envelope';
import { stampsHotNodeSpec } from '../../../reports/charts/stamps-hot-node';
import { stampsPhasesSpec } from '../../../reports/charts/stamps-phases';
import { stampsPlanSpec } from '../../../reports/charts/stamps-plan';
import type { ReportRun } from '../../../reports/types';
import { defineModel } from '../../experiments/model';
import { type StampsRun, simulatePhases, typedPhases, withRightSize } from './model';
import { stampsSchema } from './params';
import { type Plan, planPhases } from './plan';
import { PUBLISHED, PUBLISHED_SOURCE, residuals } from './published';
import { buildRegistries } from './region';
import { validateStamps } from './validate';

type SignalRow = {
  stamp: string;
  pool: string;
  before: Record<string, number>;
  after: Record<string, number>;
};

/** Raw records: every pool's per-minute bins over the before and after windows. */
function rawBins(run: StampsRun, windowMin: number) {
  const out: Array<Record<string, unknown>> = [];
  const after =
    run.timeline.phases.filter((x) => x.phase.kind === 'move').pop()?.window ?? run.timeline.after;
  for (const s of run.series)
    for (const [window, from] of [
      ['before', run.timeline.before],
      ['after', after],
    ] as const)
      for (let m = 0; m < windowMin; m++) {
        const hot = s.hot[from + m] as number;
        if (Number.isNaN(hot)) continue;
        const r2 = (x: number) => Math.round(x * 100) / 100;
        out.push({
          kind: 'stampBin',
          stamp: s.stamp,
          pool: s.pool,
          window,
          minute: m,
          hot: r2(hot),
          avg: r2(s.avg[from + m] as number),
          nodes: s.nodes[from + m],
        });
      }
  return out;
}

export const stampsModel = defineModel({
  name: 'stamps',
  summary:
    'compute stamps: hot-node P95 / Max / pool average per pool, before and after moving registries (--set plan.enabled=true proposes the move)',
  help: [
    'Simulates a region of multi-tenant compute stamps minute by minute: per stamp a registry pool',
    'and a dataproxy pool (VMSS with min/max and scale delays), registries homed on stamps with a',
    'long-tailed traffic, daily shape and deploy storms, and per-node CPU from the requests each',
    "node serves (per-connection load balancing, cache affinity). Reads the post's three signals",
    'over the 12-hour peak window: pool-average CPU, single-sample Max, hot-node P95.',
    'rebalance.phases moves registries in phases (30-60 s drains, observation between phases);',
    'plan.enabled=true proposes the phases for plan.thresholdPct (isolation when a move would',
    'make the destination hot). metrics.signals holds {stamp, pool, before, after} in % CPU.',
    '',
    'Examples:',
    '  stampede sim stamps --preset acr-stamps-2026',
    '  stampede sim stamps --preset acr-stamps-2026 --set plan.enabled=true --set plan.thresholdPct=40',
    '  stampede sim stamps --set run.days=7',
  ].join('\n'),
  schema: stampsSchema,
  validate: (params) => validateStamps(params),
  run(params, seed, io) {
    const registries = buildRegistries(params);
    let plan: Plan | undefined;
    let phases = typedPhases(params);
    if (params.plan.enabled) {
      io.progress(0, 1, 'planning');
      plan = planPhases(params, registries, seed);
      phases = withRightSize(params, plan.phases);
    }
    const run = simulatePhases(params, phases, seed, {
      onDay: (day, days) => io.progress(day, days, `day ${day + 1} of ${days}`),
      registries,
    });
    const windowMin = params.run.windowHours * 60;
    io.raw(rawBins(run, windowMin));
    io.progress(1, 1, 'done');
    const signals = run.signals.map((s) => ({
      stamp: s.stamp,
      pool: s.pool,
      shared: s.shared,
      before: s.before,
      after: s.after,
      minInstances: s.minInstances,
    }));
    const published = PUBLISHED.every((row) =>
      signals.some((s) => s.stamp === row.stamp && s.pool === row.pool),
    );
    const shared = run.signals.filter((s) => s.shared);
    return {
      metrics: {
        signals,
        phases: run.timeline.phases.map(({ phase, cutover, window }, i) => ({
          label: phase.label,
          kind: phase.kind,
          dest: phase.dest,
          registries: phase.registries.length,
          hours: phase.hours,
          cutoverMin: cutover,
          windowStartMin: window,
          signals: run.signals.flatMap((s) => {
            const v = s.phases[i];
            return v ? [{ stamp: s.stamp, pool: s.pool, shared: s.shared, ...v }] : [];
          }),
        })),
        ...(plan
          ? { plan: { thresholdPct: plan.thresholdPct, hot: plan.hot, decisions: plan.decisions } }
          : {}),
        hottestSharedP95: {
          before: Math.max(...shared.map((s) => s.before.hotNodeP95)),
          after: Math.max(...shared.map((s) => s.after.hotNodeP95)),
        },
        ...(published && run.phases.length > 0 ? { tableResiduals: residuals(signals) } : {}),
        simulatedMinutes: run.timeline.horizon,
        storms: run.storms,
      },
      points: [],
      events: run.events,
      ...(published && run.phases.length > 0
        ? {
            reference: {
              source: PUBLISHED_SOURCE,
              points: PUBLISHED.map((row) => ({
                label: `${row.stamp} ${row.pool}`,
                params: {},
                metrics: { hotNodeP95ChangePct: row.hotNodeP95ChangePct, maxChangePts: row.maxChangePts },
              })),
            },
          }
        : {}),
    };
  },
  table(env: Envelope): string[] {
    const signals = (env.metrics.signals ?? []) as SignalRow[];
    const f = (x: number | undefined) =>
      typeof x === 'number' && Number.isFinite(x) ? x.toFixed(1).padStart(5) : '    -';
    const change = (a?: number, b?: number) =>
      typeof a === 'number' && typeof b === 'number' && a > 0
        ? `${(((b - a) / a) * 100).toFixed(0).padStart(4)}%`
        : '    -';
    const lines = [
      'stamp/pool            hot-node P95 before -> after      Max before -> after     pool avg before -> after',
    ];
    for (const s of signals)
      lines.push(
        `${`${s.stamp} ${s.pool}`.padEnd(20)}  ${f(s.before.hotNodeP95)} -> ${f(s.after.hotNodeP95)} (${change(s.before.hotNodeP95, s.after.hotNodeP95)})   ${f(s.before.max)} -> ${f(s.after.max)}          ${f(s.before.average)} -> ${f(s.after.average)}`,
      );
    const phases = (env.metrics.phases ?? []) as Array<{
      label: string;
      hours: number;
      signals: Array<{ stamp: string; pool: string; shared: boolean; hotNodeP95: number }>;
    }>;
    if (phases.length)
      lines.push('', 'phase (observed h)                                 hottest shared pool, hot-node P95');
    for (const [i, ph] of phases.entries()) {
      const hot = ph.signals.filter((s) => s.shared).sort((a, b) => b.hotNodeP95 - a.hotNodeP95)[0];
      lines.push(
        `${`${i + 1}. ${ph.label}`.slice(0, 46).padEnd(46)} ${String(ph.hours).padStart(3)} h   ${hot ? `${hot.stamp} ${hot.pool} ${hot.hotNodeP95.toFixed(1)}%` : '-'}`,
      );
    }
    const plan = env.metrics.plan as
      | { decisions: Array<{ tenant: string; action: string; dest: string; reason: string }> }
      | undefined;
    if (plan) {
      lines.push('', 'plan:');
      for (const d of plan.decisions) lines.push(`  ${d.action} ${d.tenant} -> ${d.dest}: ${d.reason}`);
      if (plan.decisions.length === 0)
        lines.push('  every shared pool is under the threshold: nothing to move');
    }
    const res = env.metrics.tableResiduals as
      | Array<{ stamp: string; pool: string; p95Residual: number; maxResidual: number; ok: boolean }>
      | undefined;
    if (res) {
      lines.push('', 'against the published table (P95 change within 3 pts, Max within 4):');
      for (const r of res)
        lines.push(
          `  ${r.stamp} ${r.pool}: P95 ${r.p95Residual >= 0 ? '+' : ''}${r.p95Residual} pts, Max ${r.maxResidual >= 0 ? '+' : ''}${r.maxResidual} pts ${r.ok ? 'ok' : 'MISS'}`,
        );
    }
    return lines;
  },
  charts: [
    {
      id: 'stamps-hot-node',
      title: 'Hottest node per minute, hot-node P95 and Max, per pool',
      help: 'per pool: the hottest node CPU per minute with the hot-node P95 line, the Max sample marked and the pool average (sim stamps)',
      caption: () =>
        'Orange: the hottest node in each 1-minute bin; blue: the pool average; dashed: hot-node P95 (the 95th percentile of the orange line); triangle: the single-sample Max. A pool whose average is low can still have a hot node; the Max is one bin.',
      build: (run: ReportRun) =>
        stampsHotNodeSpec(run.raw, (run.envelope.metrics.signals ?? []) as SignalRow[]),
    },
    {
      id: 'stamps-phases',
      title: 'Shared pools phase by phase',
      help: 'hot-node P95 and Max of every shared pool before and after each phase of the rebalancing (sim stamps)',
      caption: () =>
        'Each step is one cutover, read over the last peak window of its observation. Solid: hot-node P95; dashed: Max; the dotted rule is the plan threshold when planned.',
      build: (run: ReportRun) => stampsPhasesSpec(run.envelope.metrics),
    },
    {
      id: 'stamps-plan',
      title: 'The rebalancing plan',
      help: 'the phases in cutover order: what moved where, hours observed, hottest shared pool after it (sim stamps)',
      caption: () =>
        'Smallest to largest: the tail first, medium registries in sub-batches, the top registries one at a time.',
      build: (run: ReportRun) => stampsPlanSpec(run.envelope.metrics),
    },
  ],
});
