/**
 * The published table over many seeds (seed = placement and arrival order): each figure's
 * relative error at each seed, its median over the seeds, and how many of the 15 figures
 * are within 5 % at each seed. Issue 13's targets are stated this way, so a preset is judged
 * over seeds 1-8 and checked on seeds it was not chosen at (9-16).
 *
 *   npx tsx sim/experiments/seed-table.ts [--seeds 1,2,...] [--set path=value]... [--refusals]
 *
 * (preset acr-copies-2026 with the --set values on top; about 0.5 s per seed). --refusals
 * also prints, per seed and configuration, who was refused and what it cost: 503s, nodes
 * refused once and more than once, and the slowest startup of a node refused only once
 * (issue 13: a row's P99 is the 10th-slowest of 1,000 nodes, so a tail made of refusals
 * needs about 10 nodes that lost that much).
 */
import { pathToFileURL } from 'node:url';
import { median } from 'simple-statistics';
import { resolve } from '../../lib/config/schema';
import { type CopySweepParams, copySweepSchema } from '../models/copy-sweep/params';
import { runCopySweep } from '../models/copy-sweep/sweep';
import { loadPreset } from './presets';
import { readTargetTable } from './target-table';

export const FIGURES = ['p50', 'p90', 'p99'] as const;
export const BAND = 0.05;

export interface SeedTable {
  seeds: number[];
  /** `<label> <figure>` -> relative error at each seed, in seed order. */
  errors: Map<string, number[]>;
  /** Figures within BAND at each seed, in seed order. */
  inBandPerSeed: number[];
  /** `<label> <figure>` -> median relative error over the seeds. */
  medians: Map<string, number>;
  /** `<label>` -> who was refused at each seed, in seed order. */
  refusals: Map<string, Refusals[]>;
}

export interface Refusals {
  /** 503s answered. */
  events: number;
  /** Nodes refused exactly once, and more than once. */
  once: number;
  more: number;
  /** Slowest pod startup of a node refused exactly once (NaN: none was; Infinity: one was not ready). */
  worstOnceS: number;
  /** P99 pod startup of the row. */
  p99S: number;
}

export function seedTable(params: CopySweepParams, seeds: readonly number[]): SeedTable {
  const table = readTargetTable();
  const errors = new Map<string, number[]>();
  const inBandPerSeed: number[] = [];
  const refusals = new Map<string, Refusals[]>();
  for (const seed of seeds) {
    const points = runCopySweep(params, seed);
    let n = 0;
    for (const pt of points) {
      const m = pt.run.metrics;
      const r: Refusals = {
        events: m.throttleEvents ?? 0,
        once: 0,
        more: 0,
        worstOnceS: Number.NaN,
        p99S: m.podStartupS?.p99 ?? Number.NaN,
      };
      for (const [i, k] of pt.run.nodes.throttled.entries()) {
        if (k > 1) r.more++;
        if (k !== 1) continue;
        r.once++;
        // A node not ready by the horizon (NaN) is slower than any that was.
        const t = pt.run.nodes.podStartupS[i] as number;
        const v = Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
        if (Number.isNaN(r.worstOnceS) || v > r.worstOnceS) r.worstOnceS = v;
      }
      refusals.set(pt.label, [...(refusals.get(pt.label) ?? []), r]);
    }
    for (const t of table.points) {
      const q = points.find((p) => p.label === t.label)?.run.metrics.podStartupS;
      for (const f of FIGURES) {
        const e = (q?.[f] ?? 0) / t.podStartupS[f] - 1;
        if (Math.abs(e) <= BAND) n++;
        const key = `${t.label} ${f}`;
        errors.set(key, [...(errors.get(key) ?? []), e]);
      }
    }
    inBandPerSeed.push(n);
  }
  const medians = new Map([...errors].map(([k, e]) => [k, median(e)] as const));
  return { seeds: [...seeds], errors, inBandPerSeed, medians, refusals };
}

/** The committed preset with `sets` (path=value) on top. */
export function presetWith(sets: readonly string[] = []): CopySweepParams {
  return resolve(
    copySweepSchema,
    [{ source: 'preset acr-copies-2026', tree: loadPreset('acr-copies-2026', 'copy-sweep').params }],
    sets,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const sets: string[] = [];
  let seeds = [1, 2, 3, 4, 5, 6, 7, 8];
  let showRefusals = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--set') sets.push(args[++i] ?? '');
    else if (args[i] === '--seeds') seeds = (args[++i] ?? '').split(',').map(Number);
    else if (args[i] === '--refusals') showRefusals = true;
  }
  const t = seedTable(presetWith(sets), seeds);
  const pct = (e: number) => `${e >= 0 ? '+' : ''}${(100 * e).toFixed(1)} %`;
  for (const [k, m] of t.medians)
    console.log(`${k.padEnd(14)} ${pct(m).padStart(9)}${Math.abs(m) > BAND ? '  outside' : ''}`);
  const inBand = [...t.medians.values()].filter((m) => Math.abs(m) <= BAND).length;
  console.log(`medians within 5 % over seeds ${seeds.join(',')}: ${inBand} of ${t.medians.size}`);
  console.log(`within 5 % per seed: ${t.inBandPerSeed.join(', ')}`);
  if (showRefusals) {
    console.log('per seed: 503s, nodes refused once / more than once, slowest once-refused node, P99 (s)');
    for (const [label, rs] of t.refusals)
      for (const [k, r] of rs.entries())
        console.log(
          `${label.padEnd(10)} seed ${String(t.seeds[k]).padStart(2)}: ${String(r.events).padStart(5)} 503s, ${String(r.once).padStart(4)} / ${String(r.more).padStart(4)} nodes, slowest once ${Number.isNaN(r.worstOnceS) ? '-' : r.worstOnceS.toFixed(0)}, P99 ${r.p99S.toFixed(0)}`,
        );
  }
}
