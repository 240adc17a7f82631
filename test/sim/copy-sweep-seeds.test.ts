/**
 * Issue 13's target for the published table, asserted as it stands: under --preset
 * acr-copies-2026, every figure within +-5 % for the median over seeds 1-8, and at least 13
 * of 15 within +-5 % at each seed (seed = placement and arrival order). A fit to one seed
 * can hold all 15 at that seed and still miss here. Two medians miss today (Low P99 -19.1 %:
 * Low's tail rested on the cache expiry the working set replaced; Very high P99 -5.7 %: the
 * working set's P90/P99 shape); they are kept as `it.fails` targets, not loosened. The
 * preset's back-off (retryBaseS, retryCapS) was chosen on seeds 1-8, so seeds 9-16 are the
 * held-out check that it was not tuned to those placements. Sixteen 1,000-node sweeps:
 * about 8 s of CPU. Table by hand: `npx tsx sim/experiments/seed-table.ts [--seeds ...]`.
 */
import { describe, expect, it } from 'vitest';
import { BAND, presetWith, seedTable } from '../../sim/experiments/seed-table';

/** The medians that miss today (see the header); every other one must hold. */
const KNOWN_MISSES = new Set(['Low p99', 'Very high p99']);
const pct = (e: number) => `${(100 * e).toFixed(1)} %`;

describe('published table over seeds 1-8 (issue 13)', () => {
  const t = seedTable(presetWith(), [1, 2, 3, 4, 5, 6, 7, 8]);

  it('13 of the 15 medians over seeds 1-8 are within 5 % (all but the two known misses)', () => {
    expect(t.medians.size).toBe(15);
    for (const [k, m] of t.medians)
      if (!KNOWN_MISSES.has(k)) expect(Math.abs(m), `${k}: median ${pct(m)}`).toBeLessThanOrEqual(BAND);
  });

  it.fails('Low P99 and Very high P99: median over seeds 1-8 within 5 % (target, missed)', () => {
    for (const k of KNOWN_MISSES) {
      const m = t.medians.get(k) ?? Number.NaN;
      expect(Math.abs(m), `${k}: median ${pct(m)}`).toBeLessThanOrEqual(BAND);
    }
  });

  // Measured per seed 1-8: 13, 12, 13, 12, 12, 12, 13, 14.
  it('at least 12 of 15 figures within 5 % at every seed 1-8 (the floor today)', () => {
    t.inBandPerSeed.forEach((n, i) => {
      expect(n, `seed ${t.seeds[i]}`).toBeGreaterThanOrEqual(12);
    });
  });

  it.fails('at least 13 of 15 within 5 % at every seed 1-8 (target, missed at some seeds)', () => {
    t.inBandPerSeed.forEach((n, i) => {
      expect(n, `seed ${t.seeds[i]}`).toBeGreaterThanOrEqual(13);
    });
  });

  // Why Low P99 misses (issue 13, sim/models/README.md "Low's tail"): its P99 is the 10th
  // slowest node, and a node refused only once never gets that late, at any row or seed
  // (slowest 716-739 s even at Baseline, against Low's published 779 s): Baseline's tail is
  // made of nodes refused more than once (236-307 per seed), Low's one hot backend refuses
  // 0-77 nodes per seed, 0 or 1 of them twice. A mechanism for Low's tail has to change this.
  it("a node refused only once never starts as late as Low's published P99 (779 s)", () => {
    for (const [label, rs] of t.refusals)
      for (const [k, r] of rs.entries()) {
        const at = `${label}, seed ${t.seeds[k]}`;
        // Bookkeeping: a node refused more than once accounts for at least two 503s.
        expect(r.events, at).toBeGreaterThanOrEqual(r.once + 2 * r.more);
        if (r.once > 0) expect(r.worstOnceS, at).toBeLessThan(779);
      }
    const low = t.refusals.get('Low') ?? [];
    expect(low).toHaveLength(8);
    for (const r of low) expect(r.more).toBeLessThanOrEqual(1);
    for (const r of t.refusals.get('Baseline') ?? []) expect(r.more).toBeGreaterThan(100);
  });

  // Measured on seeds 9-16: 13 medians (the same two out), per seed 13, 12, 12, 13, 13, 13, 13, 12.
  it('holds on seeds it was not chosen at (9-16): the same medians in band, at least 12 per seed', () => {
    const held = seedTable(presetWith(), [9, 10, 11, 12, 13, 14, 15, 16]);
    for (const [k, m] of held.medians)
      if (!KNOWN_MISSES.has(k)) expect(Math.abs(m), `${k}: median ${pct(m)}`).toBeLessThanOrEqual(BAND);
    for (const n of held.inBandPerSeed) expect(n).toBeGreaterThanOrEqual(12);
  });
});
