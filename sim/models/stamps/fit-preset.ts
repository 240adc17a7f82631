/**
 * Refit the acr-stamps-2026 preset:
 * `npx tsx sim/models/stamps/fit-preset.ts [evaluations] [seeds] [holdout seeds|-] [parallel] [--free path,path]`
 * (defaults 40, 1,2,3 and 4,5,6,7,8; "-" skips the held-out seeds; "parallel" runs each
 * evaluation's seeds as processes, at most two at a time; `--free` refits only those of
 * FREE, every other value held at the preset's). The objective is the median over the seeds (fit.ts);
 * prints the fitted values and rewrites the preset's free values and its "fit" record in
 * place, with every seed's one-shot residuals, fit seeds and held-out seeds apart. A
 * partial refit keeps the record's values of the parameters it held (`held`, with the
 * command that fitted them).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FREE, fitStamps, freeSubset, getPath, perSeedRows } from './fit';

const file = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../experiments/presets/stamps/acr-stamps-2026.json',
);
const preset = JSON.parse(readFileSync(file, 'utf8'));
const argv = process.argv.slice(2);
const freeAt = argv.indexOf('--free');
const free = freeAt >= 0 ? freeSubset((argv[freeAt + 1] ?? '').split(',')) : [...FREE];
const args = freeAt >= 0 ? [...argv.slice(0, freeAt), ...argv.slice(freeAt + 2)] : argv;
const evaluations = Number(args[0] ?? 40);
const seedList = (text: string) => (text === '-' ? [] : text.split(',').map(Number));
const seeds = seedList(args[1] ?? '1,2,3');
const holdout = seedList(args[2] ?? '4,5,6,7,8');
const parallel = args[3] === 'parallel';
const out = fitStamps(
  preset.params,
  seeds,
  evaluations,
  (l) => process.stderr.write(`${l}\n`),
  parallel,
  free,
);
free.forEach((f, i) => {
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
const perSeed = (list: number[]) => perSeedRows(out.params, list);
const held = FREE.filter((f) => !free.includes(f));
const previous = preset.fit as { command?: string; held?: { command: string } } | undefined;
preset.fit = {
  command: `npx tsx sim/models/stamps/fit-preset.ts ${evaluations} ${seeds.join(',')} ${holdout.join(',') || '-'}${parallel ? ' parallel' : ''}${freeAt >= 0 ? ` --free ${free.map((f) => f.path).join(',')}` : ''}`,
  seeds,
  evaluations: out.evaluations,
  score: Number(out.score.toFixed(4)),
  free: free.map((f, i) => ({ ...f, value: Number((out.values[i] as number).toPrecision(4)) })),
  ...(held.length > 0
    ? {
        held: {
          // The command that fitted the held values: the last full fit's.
          command: previous?.held?.command ?? previous?.command,
          values: held.map((f) => ({ ...f, value: getPath(out.params, f.path) })),
        },
      }
    : {}),
  fitSeeds: perSeed(seeds),
  heldOutSeeds: perSeed(holdout),
};
writeFileSync(file, `${JSON.stringify(preset, null, 2)}\n`);
console.log(JSON.stringify({ ...preset.fit, fitSeeds: undefined, heldOutSeeds: undefined }, null, 2));
