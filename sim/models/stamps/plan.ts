/**
 * `plan.enabled`: propose the rebalancing the post describes. Read each shared pool's
 * hot-node P95 over day 0's peak window; if any is above the threshold, take the tenants
 * contributing most demand to the hot stamps (largest first) until, with them gone, every
 * shared pool is under it; for each, try the coolest shared stamp that is not hot, and
 * isolate the tenant instead when moving it there would make that stamp hot (the post's
 * criterion). Phases go smallest to largest: the idle and small tail in one cutover,
 * medium registries in sub-batches 24 h apart, the top ones one at a time 48 h apart.
 */
import { simulatePhases } from './model';
import type { StampsParams } from './params';
import type { Phase } from './phases';
import type { RegistrySpec } from './region';
import type { Signals } from './signals';

export interface PlanDecision {
  tenant: string;
  registries: number;
  /** Share of the hot stamps' peak demand (registry + dataproxy cores) the tenant carries, %. */
  demandSharePct: number;
  dest: string;
  action: 'move' | 'isolate';
  reason: string;
  /** The destination's hottest pool P95 if the tenant moved there (the check behind the decision). */
  projectedDestP95: number | null;
}

export interface Plan {
  thresholdPct: number;
  hot: Array<{ stamp: string; pool: string; hotNodeP95: number }>;
  decisions: PlanDecision[];
  phases: Phase[];
}

type Sig = { stamp: string; pool: string; shared: boolean; before: Signals; after: Signals };

/** A short day: signals before (day 0) and after every given move at once (day 1). */
function project(
  p: StampsParams,
  registries: RegistrySpec[],
  moves: Array<{ names: string[]; dest: string }>,
  seed: number,
): Sig[] {
  const phases: Phase[] = moves.map((m) => ({
    label: m.dest,
    registries: m.names,
    dest: m.dest,
    hours: 24,
    kind: 'move',
  }));
  // Several moves at once: one cutover per destination on the same night (hours 0 is not
  // allowed for typed phases, so they are folded into one phase per destination here).
  const merged = new Map<string, string[]>();
  for (const ph of phases) merged.set(ph.dest, [...(merged.get(ph.dest) ?? []), ...ph.registries]);
  if (merged.size === 0) return simulatePhases(p, [], seed, { registries }).signals;
  const list: Phase[] = [...merged].map(([dest, names]) => ({
    label: dest,
    registries: names,
    dest,
    hours: 24,
    kind: 'move',
  }));
  // Cutovers of different destinations a day apart; read the last window.
  return simulatePhases({ ...p, rebalance: { ...p.rebalance, rightSize: false } }, list, seed, { registries })
    .signals;
}

export function planPhases(p: StampsParams, registries: RegistrySpec[], seed: number): Plan {
  const threshold = p.plan.thresholdPct;
  const base = simulatePhases({ ...p, run: { ...p.run, days: 0.5 } }, [], seed, { registries }).signals;
  const hot = base.filter((s) => s.shared && s.before.hotNodeP95 > threshold);
  const plan: Plan = {
    thresholdPct: threshold,
    hot: hot.map((s) => ({ stamp: s.stamp, pool: s.pool, hotNodeP95: s.before.hotNodeP95 })),
    decisions: [],
    phases: [],
  };
  if (hot.length === 0) return plan;
  const stamps = p.region.stamps;
  const hotStamps = new Set(hot.map((s) => s.stamp));
  const demand = new Map<string, number>();
  let hotTotal = 0;
  for (const r of registries) {
    if (!hotStamps.has(stamps[r.home] as string)) continue;
    const d = r.peak[0] + r.peak[1];
    hotTotal += d;
    demand.set(r.tenant, (demand.get(r.tenant) ?? 0) + d);
  }
  const ranked = [...demand].sort((a, b) => b[1] - a[1]);
  const sharedStampsOf = (tenant: string) => registries.filter((r) => r.tenant === tenant);

  // 1. Which tenants must leave the hot stamps: the largest first, until the rest is cool.
  const chosen: string[] = [];
  for (const [tenant] of ranked.slice(0, p.plan.maxTenants)) {
    chosen.push(tenant);
    const gone = project(
      p,
      registries,
      [{ names: chosen.flatMap((t) => sharedStampsOf(t).map((r) => r.name)), dest: 'iso-probe' }],
      seed,
    );
    if (gone.every((s) => !s.shared || s.after.hotNodeP95 <= threshold)) break;
  }

  // 2. Where each goes: the coolest shared stamp it does not already use, unless that would make it hot.
  const decided: Array<{ names: string[]; dest: string }> = [];
  for (const tenant of chosen) {
    const regs = sharedStampsOf(tenant);
    const names = regs.map((r) => r.name);
    const homes = new Set(regs.map((r) => stamps[r.home] as string));
    const peakOf = (stamp: string) =>
      Math.max(...base.filter((s) => s.stamp === stamp).map((s) => s.before.hotNodeP95));
    const candidates = stamps
      .filter((s) => !hotStamps.has(s) && !homes.has(s))
      .sort((a, b) => peakOf(a) - peakOf(b));
    const share = (100 * (demand.get(tenant) ?? 0)) / (hotTotal || 1);
    const dest = candidates[0];
    let projected: number | null = null;
    if (dest !== undefined) {
      const sig = project(p, registries, [...decided, { names, dest }], seed);
      projected = Math.max(...sig.filter((s) => s.stamp === dest).map((s) => s.after.hotNodeP95));
      if (projected <= threshold) {
        decided.push({ names, dest });
        plan.decisions.push({
          tenant,
          registries: names.length,
          demandSharePct: round(share),
          dest,
          action: 'move',
          reason: `${dest} would run at hot-node P95 ${round(projected)}% (threshold ${threshold}%)`,
          projectedDestP95: round(projected),
        });
        continue;
      }
    }
    const iso = `iso-${tenant}`;
    decided.push({ names, dest: iso });
    plan.decisions.push({
      tenant,
      registries: names.length,
      demandSharePct: round(share),
      dest: iso,
      action: 'isolate',
      reason:
        dest === undefined
          ? 'no shared stamp is cool enough to take it'
          : `moving it to ${dest}, the coolest shared stamp, would make ${dest} hot (hot-node P95 ${round(projected as number)}% > ${threshold}%)`,
      projectedDestP95: projected === null ? null : round(projected),
    });
  }

  // 3. Phases, smallest to largest.
  for (const { names, dest } of decided) {
    const regs = names
      .map((n) => registries.find((r) => r.name === n) as RegistrySpec)
      .sort((a, b) => a.share - b.share || b.name.localeCompare(a.name));
    const tail = regs.filter((r) => r.share * 100 < p.plan.tailSharePct);
    const top = regs.filter((r) => r.share * 100 >= p.plan.topSharePct);
    const medium = regs.filter((r) => !tail.includes(r) && !top.includes(r));
    const phase = (rs: RegistrySpec[], hours: number, what: string): Phase => ({
      label: `${what}: ${rs.length === 1 ? (rs[0] as RegistrySpec).name : `${rs.length} registries`} > ${dest}`,
      registries: rs.map((r) => r.name),
      dest,
      hours,
      kind: 'move',
    });
    if (tail.length) plan.phases.push(phase(tail, 24, 'tail'));
    for (let i = 0; i < medium.length; i += p.plan.mediumBatch)
      plan.phases.push(phase(medium.slice(i, i + p.plan.mediumBatch), 24, 'medium'));
    for (const r of top) plan.phases.push(phase([r], 48, 'top'));
  }
  return plan;
}

const round = (x: number) => Math.round(x * 100) / 100;
