/**
 * The one-shot run (fit.ts) over seeds: per seed and in the median, the nine published
 * figures (four hot-node P95 changes; A registry, B registry and B dataproxy Max changes;
 * A dataproxy's Max before and after) and how many of the medians are in band.
 * `npx tsx sim/models/stamps/seeds-table.ts [seeds] [--set k=v ...]` (defaults 1..8, the
 * acr-stamps-2026 preset). One process, seeds in turn.
 */
import { fileURLToPath } from 'node:url';
import { median } from 'simple-statistics';
import { resolve } from '../../../lib/config/schema';
import { loadPreset } from '../../experiments/presets';
import { oneShot } from './fit';
import { type StampsParams, stampsSchema } from './params';
import { PUBLISHED, TOLERANCE } from './published';

/**
 * The command line of the stamps scripts (this one, hot-node-report.ts): `--set k=v` pairs
 * applied over the acr-stamps-2026 preset, and the positional arguments, in order.
 */
export function presetFromArgs(args: readonly string[]): { params: StampsParams; positional: string[] } {
  const sets: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++)
    if (args[i] === '--set') sets.push(args[++i] as string);
    else positional.push(args[i] as string);
  const tree = loadPreset('acr-stamps-2026', 'stamps').params;
  return { params: resolve(stampsSchema, [{ source: 'preset acr-stamps-2026', tree }], sets), positional };
}

export interface Figure {
  name: string;
  published: number;
  band: number;
  value: (s: ReturnType<typeof oneShot>) => number;
}

const pick = (s: ReturnType<typeof oneShot>, stamp: string, pool: string) => {
  const x = s.find((r) => r.stamp === stamp && r.pool === pool);
  if (!x) throw new Error(`no ${stamp} ${pool}`);
  return x;
};

/** The nine figures the brief counts, in the README's column order. */
export const FIGURES: Figure[] = [
  ...PUBLISHED.map((row) => ({
    name: `${row.stamp} ${row.pool} P95 %`,
    published: row.hotNodeP95ChangePct,
    band: TOLERANCE.hotNodeP95ChangePts,
    value: (s: ReturnType<typeof oneShot>) => {
      const x = pick(s, row.stamp, row.pool);
      return (100 * (x.after.hotNodeP95 - x.before.hotNodeP95)) / x.before.hotNodeP95;
    },
  })),
  ...PUBLISHED.flatMap((row): Figure[] =>
    row.before && row.after
      ? [
          {
            name: `${row.stamp} ${row.pool} Max before`,
            published: row.before.max,
            band: TOLERANCE.maxPts,
            value: (s) => pick(s, row.stamp, row.pool).before.max,
          },
          {
            name: `${row.stamp} ${row.pool} Max after`,
            published: row.after.max,
            band: TOLERANCE.maxPts,
            value: (s) => pick(s, row.stamp, row.pool).after.max,
          },
        ]
      : [
          {
            name: `${row.stamp} ${row.pool} Max pts`,
            published: row.maxChangePts,
            band: TOLERANCE.maxPts,
            value: (s) => {
              const x = pick(s, row.stamp, row.pool);
              return x.after.max - x.before.max;
            },
          },
        ],
  ),
];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { params: p, positional: pos } = presetFromArgs(process.argv.slice(2));
  const seeds = (pos[0] ?? '1,2,3,4,5,6,7,8').split(',').map(Number);
  const rows = seeds.map((seed) => {
    const s = oneShot(p, seed);
    const a = pick(s, 'A', 'dataproxy');
    const v = FIGURES.map((f) => f.value(s));
    console.log(
      `seed ${seed}\t${v.map((x) => x.toFixed(1)).join('\t')}\tA dp P95 ${a.before.hotNodeP95} -> ${a.after.hotNodeP95}`,
    );
    return v;
  });
  let inBand = 0;
  const med = FIGURES.map((f, i) => {
    const m = median(rows.map((r) => r[i] as number));
    const ok = Math.abs(m - f.published) <= f.band;
    if (ok) inBand++;
    return `${f.name}: ${m.toFixed(1)} vs ${f.published} ${ok ? 'ok' : 'miss'}`;
  });
  console.log(`median\n  ${med.join('\n  ')}\nin band: ${inBand}/${FIGURES.length}`);
}
