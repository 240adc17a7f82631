/**
 * A run directory holds everything a report is built from:
 *   summary.json   the result envelope (written at the end, or on interruption)
 *   raw.ndjson     raw records streamed while the run goes (per node, per request, ...)
 *   report.html    rebuilt at will by `stampede report <dir>`
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../errors';
import { type Envelope, envelopeProblem } from './envelope';

export const SUMMARY = 'summary.json';
export const RAW = 'raw.ndjson';
export const REPORT = 'report.html';

/**
 * Default output directory: runs/<name>-<UTC timestamp> under the current directory, with
 * -2, -3, ... when a run of the same second already has it (runs started in a loop), so two
 * runs never share one directory.
 */
export function defaultRunDir(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const base = resolve('runs', `${name}-${stamp}`);
  let dir = base;
  for (let n = 2; existsSync(dir); n++) dir = `${base}-${n}`;
  return dir;
}

/**
 * Checks an output directory flag before anything runs (a bad path found after a long run
 * would lose it): not empty, not a file, and creatable (no file on the way).
 */
export function checkOutDir(flag: string, path: string): string {
  if (path.trim() === '') throw new InputError(flag, 'a directory path', path);
  const dir = resolve(path);
  const kind = existingKind(dir);
  if (kind === 'file') throw new InputError(flag, 'a directory (or a path to create)', `${path} (a file)`);
  if (kind === undefined) checkParent(flag, dir, path);
  return dir;
}

/** Checks an output file flag (--json FILE) the same way: a file path in an existing directory. */
export function checkOutFile(flag: string, path: string): string {
  if (path.trim() === '') throw new InputError(flag, 'a file path', path);
  const file = resolve(path);
  if (existingKind(file) === 'dir') throw new InputError(flag, 'a file path', `${path} (a directory)`);
  if (existingKind(dirname(file)) !== 'dir')
    throw new InputError(flag, 'a file in an existing directory', `${path} (no directory ${dirname(file)})`);
  return file;
}

function existingKind(path: string): 'file' | 'dir' | undefined {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/** The nearest existing ancestor must be a directory, or mkdir -p fails half way. */
function checkParent(flag: string, dir: string, raw: string): void {
  for (let up = dirname(dir); ; up = dirname(up)) {
    const kind = existingKind(up);
    if (kind === 'dir') return;
    if (kind === 'file') throw new InputError(flag, 'a directory path', `${raw} (${up} is a file)`);
    if (dirname(up) === up) return;
  }
}

export function ensureRunDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Write then rename: a reader (or a browser reloading a report) never sees half a file. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeSummary(dir: string, envelope: Envelope): string {
  const path = join(dir, SUMMARY);
  writeJsonAtomic(path, envelope);
  return path;
}

export function readSummary(dir: string): Envelope {
  const path = join(dir, SUMMARY);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(
      path,
      'a stampede summary.json (JSON result envelope)',
      (e as Error).message,
      'BAD_RUN_DIR',
    );
  }
  const problem = envelopeProblem(parsed);
  if (problem) {
    const [field, expected] = problem;
    const at =
      field === '(root)'
        ? parsed
        : field
            .split(/[.[\]]+/)
            .filter(Boolean)
            .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], parsed);
    throw new InputError(`${path}: ${field}`, expected, at, 'BAD_RUN_DIR');
  }
  return parsed as Envelope;
}
