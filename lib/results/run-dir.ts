/**
 * A run directory holds everything a report is built from:
 *   summary.json   the result envelope (written at the end, or on interruption)
 *   raw.ndjson     raw records streamed while the run goes (per node, per request, ...)
 *   report.html    rebuilt at will by `stampede report <dir>`
 */
import {
  accessSync,
  constants,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError, RunError } from '../errors';
import { type Envelope, envelopeProblem } from './envelope';

export const SUMMARY = 'summary.json';
export const RAW = 'raw.ndjson';
export const REPORT = 'report.html';

/** runs/<name>-<UTC timestamp to the second> under the current directory. */
export function runDirBase(name: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return resolve('runs', `${name}-${stamp}`);
}

/**
 * Creates a new default run directory and returns it: runs/<name>-<UTC timestamp>, or -2,
 * -3, ... for runs started in the same second. The last component is made with a plain
 * mkdir, which fails if it exists, so two runs (even two processes) never share one
 * directory and never append to each other's files.
 */
export function createRunDir(name: string, now = new Date()): string {
  const base = runDirBase(name, now);
  ensureRunDir(dirname(base));
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotCreate('run directory', dir, e);
    }
  }
}

/**
 * The run directory of a command with --out: the flag is checked now (checkOutDir), and the
 * directory is made when the returned function is called, once the run goes ahead; without
 * the flag, a new default run dir (createRunDir). Bad input thus leaves no empty directory.
 */
export function outDirClaim(name: string, outFlag: string | undefined): () => string {
  const checked = outFlag === undefined ? undefined : checkOutDir('--out', outFlag);
  return () => (checked === undefined ? createRunDir(name) : ensureRunDir(checked, '--out'));
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
  checkWritable(flag, kind === 'dir' ? dir : nearestExisting(dir), path);
  return dir;
}

/** Checks an output file flag (--json FILE) the same way: a file path in an existing directory. */
export function checkOutFile(flag: string, path: string): string {
  if (path.trim() === '') throw new InputError(flag, 'a file path', path);
  const file = resolve(path);
  if (existingKind(file) === 'dir') throw new InputError(flag, 'a file path', `${path} (a directory)`);
  if (existingKind(dirname(file)) !== 'dir')
    throw new InputError(flag, 'a file in an existing directory', `${path} (no directory ${dirname(file)})`);
  checkWritable(flag, dirname(file), path);
  return file;
}

/** A directory the run cannot write into (EACCES, a read-only mount) fails now, not after the run. */
function checkWritable(flag: string, dir: string, raw: string): void {
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new InputError(
      flag,
      'a path in a writable directory',
      `${raw} (${dir}: ${(e as NodeJS.ErrnoException).code ?? 'not writable'})`,
    );
  }
}

function nearestExisting(path: string): string {
  let up = path;
  while (existingKind(up) === undefined && dirname(up) !== up) up = dirname(up);
  return up;
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

/**
 * Creates dir and any missing parents, one mkdir at a time: node's recursive mkdir spins
 * forever where mkdir answers ENOENT under an existing parent (/proc/x). A path that cannot
 * be made is bad input, named by `flag` (e.g. --out) when there is one.
 */
export function ensureRunDir(dir: string, flag = 'run directory'): string {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    const kind = existingKind(d);
    if (kind === 'dir') break;
    if (kind === 'file') throw new InputError(flag, 'a directory path', `${dir} (${d} is a file)`);
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      // Another process may have made it meanwhile: that is as good.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || existingKind(d) !== 'dir')
        throw cannotCreate(flag, dir, e);
    }
  }
  return dir;
}

function cannotCreate(flag: string, dir: string, e: unknown): InputError {
  return new InputError(
    flag,
    'a directory that can be created',
    `${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
  );
}

/**
 * An output that could not be written after the run (a full disk, a path made unwritable
 * since the early check): one line naming the path and the reason, exit 1, no stack trace.
 */
export class WriteError extends RunError {
  readonly path: string;
  constructor(path: string, cause: unknown) {
    const e = cause as NodeJS.ErrnoException;
    super('WRITE_FAILED', `could not write ${path}: ${e?.code ? `${e.code} ` : ''}${reason(e)}`, { cause });
    this.path = path;
  }
}

/** The OS's words without node's "ENOSPC: ..., write" wrapping. */
function reason(e: NodeJS.ErrnoException | undefined): string {
  const m = /^[A-Z]+: ([^,]+)/.exec(e?.message ?? '');
  return m?.[1] ?? e?.message ?? String(e);
}

/**
 * Write then rename: a reader (or a browser reloading a report) never sees half a file. A
 * failed write leaves no `*.tmp-*` file and throws WriteError. A device or FIFO named as
 * the output (/dev/stdout) is written in place: renaming over it would replace the node.
 */
export function writeFileAtomic(path: string, text: string): void {
  let special = false;
  try {
    special = !statSync(path).isFile();
  } catch {
    // not there yet: an ordinary new file
  }
  if (special) {
    try {
      writeFileSync(path, text);
    } catch (e) {
      throw new WriteError(path, e);
    }
    return;
  }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new WriteError(path, e);
  }
}

/**
 * A run's outputs written one after the other, each on its own: one that fails (its
 * WriteError kept) does not stop the ones after it, so a full disk at the summary still
 * leaves the report, and the run's result line still prints. `failed()` ends the command.
 */
export class RunOutputs {
  readonly failures: WriteError[] = [];
  attempt<T>(write: () => T): T | undefined {
    try {
      return write();
    } catch (e) {
      if (!(e instanceof WriteError)) throw e;
      this.failures.push(e);
      return undefined;
    }
  }
  async attemptAsync<T>(write: () => Promise<T>): Promise<T | undefined> {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof WriteError)) throw e;
      this.failures.push(e);
      return undefined;
    }
  }
  add(failure: WriteError | undefined): void {
    if (failure) this.failures.push(failure);
  }
  /** One line per failed output on `err`; whether any failed (the command then exits 1). */
  report(err: (line: string) => void): boolean {
    for (const f of this.failures) err(`stampede: ${f.message} [${f.code}]`);
    return this.failures.length > 0;
  }
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
    const [field, expected, received] = problem;
    throw new InputError(`${path}: ${field}`, expected, received, 'BAD_RUN_DIR');
  }
  return parsed as Envelope;
}
