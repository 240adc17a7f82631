/**
 * What makes Stamp A dataproxy's hot node on the acr-stamps-2026 preset (hot-node.ts, the
 * one-shot run; sim/models/stamps/README.md, "What makes Stamp A dataproxy's hot node"):
 * at the bins around its P95 the other tenants' deploy storms, not the customer; after the
 * customer leaves, nearly every such bin is another tenant's storm, so the signal falls by
 * little. Ablation: with storms sized by their own registry (traffic.stormScaleExp = 1)
 * the other tenants' storms no longer make those bins and the move relieves A more. Seeds
 * 1-3, deterministic per seed; the figures measured are in the comments, the bounds have
 * room for a change in the draws.
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
const change = (r: ReturnType<typeof hotNodeParts>) =>
  (100 * (r.after.hotNodeP95 - r.before.hotNodeP95)) / r.before.hotNodeP95;

describe("acr-stamps-2026: Stamp A dataproxy's hot node", () => {
  let preset0: Array<ReturnType<typeof hotNodeParts>> = [];
  let scaled: Array<ReturnType<typeof hotNodeParts>> = [];
  beforeAll(() => {
    preset0 = SEEDS.map((seed) => hotNodeParts(params(), seed));
    scaled = SEEDS.map((seed) => hotNodeParts(params(['traffic.stormScaleExp=1']), seed));
  }, 600_000);

  it("before the move the other tenants' storms outweigh the customer at P95; the customer's own storms barely count", () => {
    for (const [i, r] of preset0.entries()) {
      const b = r.before.atP95;
      // Seeds 1-3: others' storms 0.91, 1.00, 1.36 cores; customer steady 0.64, 0.49, 0.70; its storms 0.04, 0.09, 0.11.
      expect(b.othersStorm, `seed ${SEEDS[i]}`).toBeGreaterThan(b.customerSteady);
      expect(b.customerStorm, `seed ${SEEDS[i]}`).toBeLessThan(0.25);
      // The customer's ~6.2 cores on A spread to 0.3 per node; its most loaded node carries 0.7-1.1.
      expect(r.before.customerTopNodeCores).toBeLessThan(0.5 * r.before.customerCores);
    }
  });

  it("after the move nearly every bin around P95 is another tenant's storm", () => {
    // Seeds 1-3: 92 %, 100 %, 100 % of the 36 bins; storms 1.64-1.72 cores on a 0.9-1.1-core node.
    for (const [i, r] of preset0.entries())
      expect(r.after.atP95.withStorm, `seed ${SEEDS[i]}`).toBeGreaterThan(0.75);
  });

  it('ablation: storms sized by their registry no longer make the P95 bins, and the move relieves A more', () => {
    // Seeds 1-3 with stormScaleExp 1: 14 %, 17 %, 28 % storm bins after the move; the change
    // -22.7, -20.3, -36.2 % against -17.2, -0.6, -20.5 % as the preset is.
    for (const [i, r] of scaled.entries())
      expect(r.after.atP95.withStorm, `seed ${SEEDS[i]}`).toBeLessThan(0.5);
    expect(median(scaled.map(change))).toBeLessThan(median(preset0.map(change)) - 3);
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
    // Seeds 1-3 with 12.93 dataproxy cores: the others' 1.56, 1.61, 1.71 cores on the hot
    // node at P95 against the customer's steady 0.51, 0.56, 0.48.
    for (const [i, r] of heavy.entries()) {
      const x = r.before.atP95;
      expect(x.othersSteady + x.othersStorm, `seed ${SEEDS[i]}`).toBeGreaterThan(x.customerSteady);
    }
    // The one-shot run over seeds 1-8 (three seeds are too few: seed 1 is B's worst), median
    // P95 change: B dataproxy -44.2 % against -28.4 %, B registry -31.9 % against -25.8 %.
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
    expect(rowChange([], 'dataproxy')).toBeLessThan(rowChange(HEAVY, 'dataproxy') - 8);
    expect(rowChange([], 'registry')).toBeLessThan(rowChange(HEAVY, 'registry') - 3);
  }, 600_000);
});
