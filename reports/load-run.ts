/**
 * Reads a run directory for reporting: summary.json when present (with raw.ndjson beside it
 * for CDFs and time series), else an envelope rebuilt from raw.ndjson. Every bad input is an
 * InputError naming the path, so `stampede report` exits 2 with something to act on.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../lib/errors';
import { joinLeftShards } from '../lib/k6/shards';
import type { Envelope } from '../lib/results/envelope';
import { readNdjsonFile } from '../lib/results/ndjson';
import { RAW, readSummary, SUMMARY } from '../lib/results/run-dir';
import { envelopeFromRaw } from './from-raw';
import { envelopeMetricsProblem } from './metric-shapes';
import type { RawRecord } from './types';

export interface LoadedRun {
  dir: string;
  envelope: Envelope;
  raw: RawRecord[];
  /** True when summary.json was missing and the envelope was rebuilt from raw records. */
  fromRaw: boolean;
  /** When the run ended: runtime.finishedAt/startedAt if the runner wrote one, else summary mtime. */
  date: string | undefined;
  /** raw.ndjson lines (1-based) that were skipped as unreadable, a torn last line excepted. */
  unreadable: number[];
}

export function loadRun(dirArg: string): LoadedRun {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InputError(
      dir,
      'a run directory (holding summary.json or raw.ndjson)',
      existsSync(dir) ? 'a file, not a directory' : 'no such directory',
      'BAD_RUN_DIR',
    );
  const summaryPath = join(dir, SUMMARY);
  const rawPath = join(dir, RAW);
  // A sharded k6 run cut off before it joined its shards' raw-<i>.ndjson (lib/k6/shards.ts).
  joinLeftShards(dir);
  const { records: raw, unreadable } = readNdjsonFile(rawPath);
  if (existsSync(summaryPath)) {
    const envelope = readSummary(dir);
    const problem = envelopeMetricsProblem(envelope);
    if (problem) {
      const [field, expected, received] = problem;
      throw new InputError(`${summaryPath}: ${field}`, expected, received, 'BAD_RUN_DIR');
    }
    return {
      dir,
      envelope,
      raw,
      fromRaw: false,
      date: runDate(envelope) ?? statSync(summaryPath).mtime.toISOString(),
      unreadable,
    };
  }
  if (!existsSync(rawPath))
    throw new InputError(dir, `a run directory holding ${SUMMARY} or ${RAW}`, 'neither file', 'BAD_RUN_DIR');
  if (raw.length === 0)
    throw new InputError(
      rawPath,
      'NDJSON records (one JSON object per line)',
      'no readable record',
      'BAD_RUN_DIR',
    );
  const envelope = envelopeFromRaw(raw, basename(dir));
  return { dir, envelope, raw, fromRaw: true, date: statSync(rawPath).mtime.toISOString(), unreadable };
}

/** The date a runner recorded in `runtime`, if any. */
export function runDate(e: Envelope): string | undefined {
  for (const k of ['finishedAt', 'startedAt', 'date']) {
    const v = e.runtime?.[k];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}
