/**
 * Fault and phase markers of a run (a fault injected or cleared, Traffic Manager switching,
 * a DNS flap starting, a shard starting or dying, a push acked, a sweep point): one raw
 * record, `{"type":"marker","kind","label","time"}` (time an ISO string), which the report
 * folds into a vertical rule on every time chart (reports/charts/markers.ts).
 *
 * While k6 runs it owns raw.ndjson (it writes from its own file offset, so a line appended
 * by another process would be overwritten): markers go to markers.ndjson beside it and are
 * moved into raw.ndjson once k6 has exited (mergeMarkers), by the run or by the report of a
 * run that was killed before it could.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';

export const MARKERS = 'markers.ndjson';

export interface MarkerRecord {
  type: 'marker';
  /** What it marks (fault, dns, shard, push, sweep): the tooltip's second line. */
  kind: string;
  /** Drawn beside the rule. */
  label: string;
  /** ISO time. */
  time: string;
}

export function markerRecord(kind: string, label: string, atMs: number): MarkerRecord {
  return { type: 'marker', kind, label, time: new Date(atMs).toISOString() };
}

/** Appends one marker line to `<dir>/markers.ndjson` (one write of one line: never torn). */
export function appendMarker(dir: string, kind: string, label: string, atMs: number): void {
  appendFileSync(join(dir, MARKERS), `${JSON.stringify(markerRecord(kind, label, atMs))}\n`);
}

/** Moves `<dir>/markers.ndjson` to the end of `rawPath`; the number of markers moved. */
export function mergeMarkers(dir: string, rawPath: string): number {
  const file = join(dir, MARKERS);
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, 'utf8');
  // A killed k6 leaves its last line torn: the markers start on a line of their own.
  if (text)
    appendFileSync(rawPath, `${endsTorn(rawPath) ? '\n' : ''}${text.endsWith('\n') ? text : `${text}\n`}`);
  rmSync(file, { force: true });
  return text.split('\n').filter(Boolean).length;
}

function endsTorn(path: string): boolean {
  if (!existsSync(path)) return false;
  const size = statSync(path).size;
  if (size === 0) return false;
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] !== 10;
  } finally {
    closeSync(fd);
  }
}
