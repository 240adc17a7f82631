/**
 * Saved baselines: a folder of the user's choice (default `baselines/` under the current
 * directory, git-ignored in this repository) holding one sub-folder per name with a copy of
 * the run's summary.json and raw.ndjson (the gate's bootstrap needs the raw samples) and a
 * baseline.json saying where and when it came from. Saving under an existing name replaces
 * it in one rename, so a CI job can keep "last-good" current without a reader ever seeing
 * half a baseline.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors';
import { ensureRunDir, RAW, readSummary, SUMMARY, writeJsonAtomic } from '../run-dir';

export const DEFAULT_BASELINE_DIR = 'baselines';
export const BASELINE_META = 'baseline.json';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface BaselineMeta {
  name: string;
  savedAt: string;
  source: string;
  kind: string;
  run: string;
  seed: number;
  hasRaw: boolean;
}

export function baselineDir(flag: string | undefined): string {
  return resolve(flag ?? DEFAULT_BASELINE_DIR);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function checkBaselineName(name: unknown, field = 'NAME'): string {
  if (typeof name !== 'string' || !NAME.test(name) || name.includes('..'))
    throw new InputError(field, 'a baseline name (letters, digits, . _ -; at most 100)', name);
  return name;
}

export function saveBaseline(
  name: string,
  runDir: string,
  store: string,
  now: Date,
): { path: string; replaced: boolean; meta: BaselineMeta } {
  checkBaselineName(name);
  const src = resolve(runDir);
  if (!isDir(src))
    throw new InputError('<run dir>', 'a run directory holding summary.json', runDir, 'BAD_RUN_DIR');
  if (!existsSync(join(src, SUMMARY)))
    throw new InputError('<run dir>', `a finished run directory (holding ${SUMMARY})`, runDir, 'BAD_RUN_DIR');
  const env = readSummary(src);
  if (env.incomplete)
    throw new InputError(
      '<run dir>',
      'a complete run (a baseline must not be an interrupted run)',
      `${runDir}: ${env.incomplete.reason}`,
      'BAD_RUN_DIR',
    );
  ensureRunDir(store, '--dir');
  const dest = join(store, name);
  const tmp = join(store, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  copyFileSync(join(src, SUMMARY), join(tmp, SUMMARY));
  const hasRaw = existsSync(join(src, RAW));
  if (hasRaw) copyFileSync(join(src, RAW), join(tmp, RAW));
  const meta: BaselineMeta = {
    name,
    savedAt: now.toISOString(),
    source: src,
    kind: env.kind,
    run: env.name,
    seed: env.seed,
    hasRaw,
  };
  writeJsonAtomic(join(tmp, BASELINE_META), meta);
  const replaced = existsSync(dest);
  if (replaced) {
    const old = join(store, `.${name}.old-${process.pid}`);
    renameSync(dest, old);
    renameSync(tmp, dest);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(tmp, dest);
  return { path: dest, replaced, meta };
}

export function listBaselines(store: string): BaselineMeta[] {
  if (!isDir(store)) return [];
  return readdirSync(store)
    .filter((n) => !n.startsWith('.') && isDir(join(store, n)) && existsSync(join(store, n, SUMMARY)))
    .sort()
    .map((n) => {
      try {
        return JSON.parse(readFileSync(join(store, n, BASELINE_META), 'utf8')) as BaselineMeta;
      } catch {
        // A folder someone copied in by hand: still usable, its origin unknown.
        const env = readSummary(join(store, n));
        return {
          name: n,
          savedAt: '',
          source: '',
          kind: env.kind,
          run: env.name,
          seed: env.seed,
          hasRaw: existsSync(join(store, n, RAW)),
        };
      }
    });
}

/** --baseline: a run directory when one exists at that path, else a saved name in the store. */
export function resolveBaseline(arg: string, store: string): { dir: string; label: string } {
  if (isDir(resolve(arg))) return { dir: resolve(arg), label: arg };
  if (NAME.test(arg) && isDir(join(store, arg))) return { dir: join(store, arg), label: `baseline ${arg}` };
  const saved = listBaselines(store).map((b) => b.name);
  throw new InputError(
    '--baseline',
    `a run directory or a saved baseline name in ${store} (${saved.length ? `saved: ${saved.join(', ')}` : 'none saved yet: stampede baseline save NAME <run dir>'})`,
    arg,
  );
}
