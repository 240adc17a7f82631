/**
 * Refit the acr-stamps-2026 preset: `npx tsx sim/models/stamps/fit-preset.ts [evaluations] [seed]`
 * (defaults 150 and 1). Prints the fitted values and the one-shot residuals and rewrites the
 * preset's free values and its "fit" record in place.
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
const evaluations = Number(process.argv[2] ?? 150);
const seed = Number(process.argv[3] ?? 1);
const out = fitStamps(preset.params, seed, evaluations, (l) => process.stderr.write(`${l}\n`));
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
const res = residuals(oneShot(out.params, seed));
preset.fit = {
  command: `npx tsx sim/models/stamps/fit-preset.ts ${evaluations} ${seed}`,
  seed,
  evaluations: out.evaluations,
  score: Number(out.score.toFixed(4)),
  free: FREE.map((f, i) => ({ ...f, value: Number((out.values[i] as number).toPrecision(4)) })),
  oneShotResiduals: res,
};
writeFileSync(file, `${JSON.stringify(preset, null, 2)}\n`);
console.log(JSON.stringify(preset.fit, null, 2));
