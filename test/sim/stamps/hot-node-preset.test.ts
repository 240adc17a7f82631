/**
 * What makes Stamp A dataproxy's hot node on the acr-stamps-2026 preset (hot-node.ts, the
 * one-shot run; sim/models/stamps/README.md, "Round 2: Stamp A dataproxy"): with one copy
 * per layer (copyCores 2 cores: no layer of the preset reaches two) the customer's largest
 * layer is one node's, and at the bins around P95 its steady load is the largest part of
 * that node; a storm's bytes are capped at stormCapX (70) x its registry's own peak bytes,
 * so the small tenants' storms stop setting the P95 bins once the customer has left.
 * Ablation: without the cap (stormCapX 0) the others' storms make more of the bins after the
 * move, bigger, and the hot node stays hotter. Seeds 1-3, deterministic per seed; the
 * figures measured are in the comments, the bounds have room for a change in the draws.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import { oneShot } from '../../../sim/models/stamps/fit';
import { hotNodeParts } from '../../../sim/models/stamps/hot-node';
import { stampsSchema } from '../../../sim/models/stamps/params';

const preset = JSON.parse(
  readFileSync(
    new URL('../../../sim/experiments/presets/stamps/acr-stamps-2026.json', import.meta.url),
    'utf8',
  ),
) as { params: unknown };
const params = (sets: string[] = []) =>
  resolve(stampsSchema, [{ source: 'preset acr-stamps-2026', tree: preset.params }], sets);
const SEEDS = [1, 2, 3];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

describe("acr-stamps-2026: Stamp A dataproxy's hot node", () => {
  let preset0: Array<ReturnType<typeof hotNodeParts>> = [];
  let uncapped: Array<ReturnType<typeof hotNodeParts>> = [];
  beforeAll(() => {
    preset0 = SEEDS.map((seed) => hotNodeParts(params(), seed));
    uncapped = SEEDS.map((seed) => hotNodeParts(params(['traffic.stormCapX=0']), seed));
  }, 600_000);

  it("before the move the customer's steady load is the largest part of A's hot node at P95, mostly one node", () => {
    for (const [i, r] of preset0.entries()) {
      const b = r.before.atP95;
      // Seeds 1-3: customer steady 1.92, 1.76, 2.76 cores against the others' 1.71, 1.60, 2.24
      // (steady and storms); the same node in 61 %, 69 %, 97 % of the 36 bins.
      expect(b.customerSteady, `seed ${SEEDS[i]}`).toBeGreaterThan(b.othersSteady + b.othersStorm);
      expect(r.before.modeShareAtP95, `seed ${SEEDS[i]}`).toBeGreaterThan(0.5);
      // Its most loaded node carries 1.55-2.10 of its ~6.2 cores on A.
      expect(r.before.customerTopNodeCores).toBeGreaterThan(0.2 * r.before.customerCores);
    }
  });

  it("ablation: without the cap on storm bytes the others' storms make more of the P95 bins after the move, bigger, and A stays hotter", () => {
    for (const [i, r] of preset0.entries()) {
      const u = uncapped[i] as ReturnType<typeof hotNodeParts>;
      // Seeds 1-3 after the move, capped against uncapped: storm bins 42/78/56 % against
      // 69/92/86 %; the others' storms at P95 0.74/1.39/1.01 cores against 1.36/1.76/1.69;
      // hot-node P95 34.3/35.9/35.5 against 36.3/38.0/39.1.
      expect(r.after.atP95.withStorm, `seed ${SEEDS[i]}`).toBeLessThan(u.after.atP95.withStorm);
      expect(r.after.atP95.othersStorm, `seed ${SEEDS[i]}`).toBeLessThan(u.after.atP95.othersStorm - 0.2);
      expect(r.after.hotNodeP95, `seed ${SEEDS[i]}`).toBeLessThan(u.after.hotNodeP95 - 1);
    }
  });
});

/**
 * Stamp B (sim/models/stamps/README.md, "Stamp B: the customer's share of its hot node"):
 * B's other tenants carry 3 registry and 7 dataproxy cores at peak (refit on a grid, seeds
 * 1-8), against the customer's ~1.4 and ~4.5 on B. So before the move the customer's
 * steady load is most of B dataproxy's hottest node at the bins around its P95, and after
 * it B's hot node is the others' steady node, rarely a storm: the sustained signal falls by
 * the customer's part (the post: -44 %) while Max, a storm's minute, barely moves (-5).
 * Contrast: with B's others at the second refit's 12.93 dataproxy cores (3.984 registry)
 * their own steady node is nearly as hot as the customer's, and the move relieves B less.
 */
const HEAVY = ['tenants.registryCores=13.45,3.984,6,6', 'tenants.dataproxyCores=18.57,12.93,10,10'];

describe("acr-stamps-2026: Stamp B dataproxy's hot node", () => {
  let b: Array<ReturnType<typeof hotNodeParts>> = [];
  let heavy: Array<ReturnType<typeof hotNodeParts>> = [];
  beforeAll(() => {
    b = SEEDS.map((seed) => hotNodeParts(params(), seed, 'B', 'dataproxy'));
    heavy = SEEDS.map((seed) => hotNodeParts(params(HEAVY), seed, 'B', 'dataproxy'));
  }, 600_000);

  it("before the move the customer's load is the larger part of B's hot node at P95", () => {
    for (const [i, r] of b.entries()) {
      const x = r.before.atP95;
      expect(x.customerSteady + x.customerStorm, `seed ${SEEDS[i]}`).toBeGreaterThan(
        x.othersSteady + x.othersStorm,
      );
    }
  });

  it("after the move B's hot node at P95 is the others' steady load, rarely a storm", () => {
    for (const [i, r] of b.entries()) {
      expect(r.after.atP95.withStorm, `seed ${SEEDS[i]}`).toBeLessThan(0.5);
      expect(r.after.atP95.othersSteady, `seed ${SEEDS[i]}`).toBeGreaterThan(r.after.atP95.othersStorm);
    }
  });

  it("contrast: with B's others as heavy as the second refit had them the move relieves B less", () => {
    // Seeds 1-3 with 12.93 dataproxy cores: round 1 (layer copies at 0.55 cores) had the
    // others' 1.56, 1.61, 1.71 cores on the hot node at P95 against the customer's steady
    // 0.51, 0.56, 0.48. With one copy per layer (round 2) the customer's largest layer is one
    // node's and its steady load there is 1.32, 1.47, 0.92 against the others' 1.40, 1.33,
    // 1.45: about even, so the per-seed comparison round 1 made here no longer holds at seed
    // 2 and is not checked; the contrast is the medians below.
    expect(heavy).toHaveLength(3);
    // The one-shot run over seeds 1-8 (three seeds are too few: seed 1 is B's worst), upper
    // median of the P95 change: B dataproxy -40.6 % against -33.6 %, B registry -30.2 %
    // against -24.9 % (round 2's preset: 9 dataproxy cores for B's others, one copy per layer,
    // storm bytes capped; round 1's preset had -44.2 against -28.4, and this margin was 8).
    const eight = [1, 2, 3, 4, 5, 6, 7, 8];
    const rowChange = (sets: string[], pool: string) =>
      median(
        eight.map((seed) => {
          const x = oneShot(params(sets), seed).find((s) => s.stamp === 'B' && s.pool === pool);
          return (
            (100 * ((x?.after.hotNodeP95 ?? 0) - (x?.before.hotNodeP95 ?? 1))) / (x?.before.hotNodeP95 ?? 1)
          );
        }),
      );
    expect(rowChange([], 'dataproxy')).toBeLessThan(rowChange(HEAVY, 'dataproxy') - 5);
    expect(rowChange([], 'registry')).toBeLessThan(rowChange(HEAVY, 'registry') - 3);
  }, 600_000);
});
