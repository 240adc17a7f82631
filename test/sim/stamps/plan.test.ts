/**
 * `plan.enabled`: the planner picks the tenant that makes the stamp hot, orders its
 * registries smallest to largest, moves it to a cool shared stamp when that stays under
 * the threshold, and isolates it when the move would only make the destination hot.
 */
import { describe, expect, it } from 'vitest';
import { simulatePhases } from '../../../sim/models/stamps/model';
import { planPhases } from '../../../sim/models/stamps/plan';
import { buildRegistries } from '../../../sim/models/stamps/region';
import { small } from './helpers';

// A busy stamp A (other tenants 9 dataproxy cores) with the customer on it; B and C quiet.
const movable = small({
  plan: { thresholdPct: 30 },
  customer: { dataproxyCores: 4, registryCores: 1 },
  tenants: { dataproxyCores: [9, 1, 1] },
});
// The same customer, a little bigger, and a lower threshold: wherever it goes it is hot.
const tooBig = small({
  plan: { thresholdPct: 28 },
  customer: { dataproxyCores: 5, registryCores: 1 },
  tenants: { dataproxyCores: [8, 1, 1] },
});

describe('stamps plan', () => {
  it('moves the tenant that makes A hot to a cool stamp, smallest registries first, and every shared pool ends under the threshold', () => {
    const regs = buildRegistries(movable);
    const plan = planPhases(movable, regs, 1);
    expect(plan.hot.map((h) => `${h.stamp} ${h.pool}`)).toContain('A dataproxy');
    expect(plan.decisions).toHaveLength(1);
    const d = plan.decisions[0];
    expect(d?.tenant).toBe('cust');
    expect(d?.action).toBe('move');
    expect(['B', 'C']).toContain(d?.dest);
    // The customer's top registries are in the plan, the largest last, one per phase.
    const moved = plan.phases.flatMap((ph) => ph.registries);
    expect(moved).toHaveLength(12);
    expect(plan.phases.at(-1)?.registries).toEqual(['cust-01']);
    expect(plan.phases.at(-2)?.registries).toEqual(['cust-02']);
    // Smallest to largest: every phase's largest share is at most the next phase's smallest.
    const share = new Map(regs.map((r) => [r.name, r.share]));
    for (let i = 1; i < plan.phases.length; i++) {
      const prev = Math.max(...(plan.phases[i - 1]?.registries ?? []).map((n) => share.get(n) as number));
      const next = Math.min(...(plan.phases[i]?.registries ?? []).map((n) => share.get(n) as number));
      expect(prev).toBeLessThanOrEqual(next);
    }
    expect(plan.phases.filter((ph) => ph.registries.length === 1).every((ph) => ph.hours === 48)).toBe(true);
    const run = simulatePhases(movable, plan.phases, 1, { registries: regs });
    for (const s of run.signals.filter((x) => x.shared))
      expect(s.after.hotNodeP95, `${s.stamp} ${s.pool}`).toBeLessThanOrEqual(30);
  }, 240_000);

  it('isolates the tenant when moving it would just make the destination hot', () => {
    const plan = planPhases(tooBig, buildRegistries(tooBig), 1);
    expect(plan.decisions).toHaveLength(1);
    const d = plan.decisions[0];
    expect(d?.action).toBe('isolate');
    expect(d?.dest).toBe('iso-cust');
    expect(d?.projectedDestP95).toBeGreaterThan(28);
    expect(new Set(plan.phases.map((ph) => ph.dest))).toEqual(new Set(['iso-cust']));
  }, 240_000);

  it('plans nothing when every shared pool is under the threshold', () => {
    const p = small({ plan: { thresholdPct: 90 } });
    const plan = planPhases(p, buildRegistries(p), 1);
    expect(plan.decisions).toEqual([]);
    expect(plan.phases).toEqual([]);
  }, 120_000);
});
