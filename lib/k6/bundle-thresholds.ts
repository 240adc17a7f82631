/**
 * Thresholds baked into a bundled script (`stampede bundle --threshold`): under `stampede
 * run` k6 gets them through a --config file (lib/k6/scale-out.ts), but a script handed to a
 * user's own k6, Grafana Cloud k6 or the k6-operator carries only its own `options`. So the
 * bundle's entry becomes a small module that re-exports the scenario with `options.thresholds`
 * set: the scenario's declared thresholds (ScenarioDef.thresholds) and the user's, merged as
 * `stampede run` merges them. The scenario's source is not touched.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioPath } from './bundle';
import type { Thresholds } from './thresholds';

/**
 * Writes the entry for scenario `script` with `thresholds` into `dir` and returns its path
 * (named like the scenario, so the bundle is too). Thresholds the script already declares
 * are kept; these are added per metric.
 */
export function thresholdsEntry(script: string, thresholds: Thresholds, dir: string): string {
  const source = scenarioPath(script);
  const text = readFileSync(source, 'utf8');
  const from = JSON.stringify(source);
  const lines = [
    `import * as scenario from ${from};`,
    `export * from ${from};`,
    // `export *` never carries the default export; a scenario run by named exec functions has none.
    ...(/^export default /m.test(text) ? [`export { default } from ${from};`] : []),
    `const own = scenario.options.thresholds ?? {};`,
    `const added = ${JSON.stringify(thresholds)};`,
    'const thresholds = { ...own };',
    'for (const [metric, exprs] of Object.entries(added))',
    '  thresholds[metric] = [...new Set([...(own[metric] ?? []), ...exprs])];',
    // A local export shadows the one `export *` brings (ES module semantics).
    'export const options = { ...scenario.options, thresholds };',
  ];
  const entry = join(dir, `${script}.ts`);
  writeFileSync(entry, `${lines.join('\n')}\n`);
  return entry;
}
