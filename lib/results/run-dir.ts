/**
 * A run directory holds everything a report is built from:
 *   summary.json   the result envelope (written at the end, or on interruption)
 *   raw.ndjson     raw records streamed while the run goes (per node, per request, ...)
 *   report.html    rebuilt at will by `stampede report <dir>`
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors';
import { type Envelope, isEnvelope } from './envelope';

export const SUMMARY = 'summary.json';
export const RAW = 'raw.ndjson';
export const REPORT = 'report.html';

/** Default output directory: runs/<name>-<UTC timestamp> under the current directory. */
export function defaultRunDir(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return resolve('runs', `${name}-${stamp}`);
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
  if (!isEnvelope(parsed))
    throw new InputError(
      path,
      'a result envelope with tool "stampede", kind, name and points',
      parsed,
      'BAD_RUN_DIR',
    );
  return parsed;
}
