/**
 * Bundles a k6 entry script (scenarios/<name>.ts) with esbuild using the one shared config
 * (k6.config.ts). The output is self-contained except for k6's own modules, so the same
 * file runs against the lab and a real registry.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';
import { k6BuildOptions } from '../../k6.config';
import { InputError, RunError } from '../errors';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCENARIO_DIR = join(REPO_ROOT, 'scenarios');

export function scenarioPath(name: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(name))
    throw new InputError('scenario', 'a scenario name like cold-pull', name);
  return join(SCENARIO_DIR, `${name}.ts`);
}

/** Builds under way in this process: esbuild's service stops when the last one ends. */
let inFlight = 0;

/** Bundles scenario `name` (or an explicit entry file) into `outDir`; returns the .js path. */
export async function bundleScenario(nameOrEntry: string, outDir: string): Promise<string> {
  const entry = nameOrEntry.endsWith('.ts') ? resolve(nameOrEntry) : scenarioPath(nameOrEntry);
  if (!existsSync(entry)) throw new InputError('scenario', `an existing k6 entry script`, entry);
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${entry.replace(/^.*\//, '').replace(/\.ts$/, '')}.k6.js`);
  inFlight++;
  try {
    await build({ ...k6BuildOptions, entryPoints: [entry], outfile });
  } catch (e) {
    const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number } }> })
      .errors;
    const first = errors?.[0];
    throw new RunError(
      'K6_BUNDLE_FAILED',
      `bundling ${entry} failed: ${first ? `${first.location?.file ?? ''}:${first.location?.line ?? ''} ${first.text}` : (e as Error).message}`,
      { cause: e },
    );
  } finally {
    // esbuild's service process would otherwise live as long as the run: one more process in
    // the lab's namespace, carrying the run's environment, for `lab down` to stop.
    if (--inFlight === 0) await stop();
  }
  return outfile;
}
