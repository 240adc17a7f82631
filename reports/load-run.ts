/**
 * Reads a run directory for reporting: summary.json when present (with raw.ndjson beside it
 * for CDFs and time series), else an envelope rebuilt from raw.ndjson. Every bad input is an
 * InputError naming the path, so `stampede report` exits 2 with something to act on.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../lib/errors';
import { k6Envelope } from '../lib/k6/collect';
import { mergeMarkers } from '../lib/k6/markers';
import { joinLeftShards } from '../lib/k6/shards';
import type { Envelope } from '../lib/results/envelope';
import { RAW, readSummary, SUMMARY } from '../lib/results/run-dir';
import { envelopeFromRaw } from './from-raw';
import { blobSizesOf, frontRegionsOf, type K6Aggregate } from './k6-aggregate';
import { envelopeMetricsProblem } from './metric-shapes';
import { streamRawFile, streamRawFiles } from './stream-raw';
import type { RawRecord } from './types';

export interface LoadedRun {
  dir: string;
  envelope: Envelope;
  /** raw.ndjson's records other than k6 points (those are folded into `k6`). */
  raw: RawRecord[];
  /** A k6 run's points, aggregated per time bin while raw.ndjson was read. */
  k6?: K6Aggregate;
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
  // A run killed before it moved its markers into raw.ndjson (lib/k6/markers.ts).
  if (existsSync(rawPath)) mergeMarkers(dir, rawPath);
  if (existsSync(summaryPath)) {
    const envelope = readSummary(dir);
    // A sweep's k6 points are in its points' own run directories: folded in with its markers.
    const points = pointRunDirs(dir);
    const params = [envelope.params, ...points.flatMap((p) => pointParams(p))];
    const {
      records: raw,
      unreadable,
      k6,
    } = streamRawFiles([rawPath, ...points.map((p) => join(p, RAW))], {
      blobSizes: new Map(params.flatMap((p) => [...blobSizesOf(p)])),
      frontRegions: new Map(params.flatMap((p) => [...frontRegionsOf(p)])),
    });
    const problem = envelopeMetricsProblem(envelope);
    if (problem) {
      const [field, expected, received] = problem;
      throw new InputError(`${summaryPath}: ${field}`, expected, received, 'BAD_RUN_DIR');
    }
    return {
      dir,
      envelope,
      raw,
      ...(k6 && { k6: k6.aggregate }),
      fromRaw: false,
      date: runDate(envelope) ?? statSync(summaryPath).mtime.toISOString(),
      unreadable,
    };
  }
  if (!existsSync(rawPath))
    throw new InputError(dir, `a run directory holding ${SUMMARY} or ${RAW}`, 'neither file', 'BAD_RUN_DIR');
  const { records: raw, unreadable, k6 } = streamRawFile(rawPath);
  if (raw.length === 0 && !k6)
    throw new InputError(
      rawPath,
      'NDJSON records (one JSON object per line)',
      'no readable record',
      'BAD_RUN_DIR',
    );
  const reason = `summary.json missing: rebuilt from ${raw.length + (k6?.points ?? 0)} raw record(s) in raw.ndjson`;
  // k6's own JSON output: summarised by the same code the run command uses, so a killed
  // k6 run's page has the pull quantiles, CDF and errors a finished one has.
  const envelope = k6
    ? k6Envelope({
        name: k6.scenario ?? basename(dir),
        params: {},
        records: [],
        collected: k6,
        wallMs: k6.spanMs,
        incomplete: reason,
      })
    : envelopeFromRaw(raw, basename(dir));
  const date = statSync(rawPath).mtime.toISOString();
  return { dir, envelope, raw, ...(k6 && { k6: k6.aggregate }), fromRaw: true, date, unreadable };
}

/**
 * The run directories of a sweep's points, in point order: `points/NN-<label>/` (a measured
 * copy sweep) or `NN-<path>=<value>/` (a `--set` list sweep), each holding its raw.ndjson.
 */
export function pointRunDirs(dir: string): string[] {
  const under = (root: string) =>
    existsSync(root)
      ? readdirSync(root, { withFileTypes: true })
          .filter((d) => d.isDirectory() && /^\d{2,}-/.test(d.name) && existsSync(join(root, d.name, RAW)))
          .map((d) => join(root, d.name))
          .sort()
      : [];
  return [...under(join(dir, 'points')), ...under(dir)];
}

/** A point's resolved parameters (its seeded layers name the blob sizes), if it wrote a summary. */
function pointParams(pointDir: string): Array<Record<string, unknown>> {
  try {
    return existsSync(join(pointDir, SUMMARY)) ? [readSummary(pointDir).params] : [];
  } catch {
    return [];
  }
}

/** The date a runner recorded in `runtime`, if any. */
export function runDate(e: Envelope): string | undefined {
  for (const k of ['finishedAt', 'startedAt', 'date']) {
    const v = e.runtime?.[k];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}
