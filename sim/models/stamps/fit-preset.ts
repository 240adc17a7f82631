/**
 * Refit the acr-stamps-2026 preset:
 * `npx tsx sim/models/stamps/fit-preset.ts [evaluations] [seeds] [holdout seeds|-] [parallel]`
 * (defaults 40, 1,2,3 and 4,5,6,7,8; "-" skips the held-out seeds; "parallel" runs each
 * evaluation's seeds as processes, at most two at a time). The objective is the median over the seeds (fit.ts);
 * prints the fitted values and rewrites the preset's free values and its "fit" record in
 * place, with every seed's one-shot residuals, fit seeds and held-out seeds apart.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FREE, fitStamps, oneShot } from './fit';
import { residuals } from './published';

const file = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../experiments/presets/stamps/acr-stamps-2026.json',
);
const preset = JSON.parse(readFileSync(file, 'utf8'));
const evaluations = Number(process.argv[2] ?? 40);
const seedList = (text: string) => (text === '-' ? [] : text.split(',').map(Number));
const seeds = seedList(process.argv[3] ?? '1,2,3');
const holdout = seedList(process.argv[4] ?? '4,5,6,7,8');
const parallel = process.argv[5] === 'parallel';
const out = fitStamps(preset.params, seeds, evaluations, (l) => process.stderr.write(`${l}\n`), parallel);
FREE.forEach((f, i) => {
  const keys = f.path.split('.');
  const last = keys.pop() as string;
  let o = preset.params;
  for (const k of keys) {
    o[k] ??= {};
    o = o[k];
  }
  // A list entry ("tenants.registryCores.0") is set in the preset's own list.
  o[last] = Number((out.values[i] as number).toPrecision(4));
});
const perSeed = (list: number[]) =>
  list.map((seed) => ({
    seed,
    rows: residuals(oneShot(out.params, seed)).map(
      (r) =>
        `${r.stamp} ${r.pool}: P95 ${r.hotNodeP95ChangePct}% (${r.p95Residual}), Max ${r.maxChangePts} (${r.maxResidual})`,
    ),
  }));
preset.fit = {
  command: `npx tsx sim/models/stamps/fit-preset.ts ${evaluations} ${seeds.join(',')} ${holdout.join(',') || '-'}${parallel ? ' parallel' : ''}`,
  seeds,
  evaluations: out.evaluations,
  score: Number(out.score.toFixed(4)),
  free: FREE.map((f, i) => ({ ...f, value: Number((out.values[i] as number).toPrecision(4)) })),
  fitSeeds: perSeed(seeds),
  heldOutSeeds: perSeed(holdout),
};
writeFileSync(file, `${JSON.stringify(preset, null, 2)}\n`);
console.log(JSON.stringify(preset.fit, null, 2));
