/**
 * Raw results stream to disk as they happen, one JSON object per line, so a killed run
 * still leaves everything measured up to that moment. Writes are synchronous appends:
 * slower than a buffered stream, but nothing sits in a buffer when the process dies.
 * Callers that produce many records at once batch them with writeMany().
 */
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { WriteError } from './run-dir';

export interface NdjsonWriter {
  write(record: unknown): void;
  writeMany(records: readonly unknown[]): void;
  close(): void;
  readonly path: string;
  /**
   * The first failed write (a full disk): from then on records are dropped, not thrown, so
   * the run finishes and its other outputs are still written; the caller reports it.
   */
  readonly failure: WriteError | undefined;
}

/** A fresh file per run: records of an earlier run in the same directory would mix in. */
export function ndjsonWriter(path: string): NdjsonWriter {
  const fd = openSync(path, 'w');
  let open = true;
  let failure: WriteError | undefined;
  const put = (text: string) => {
    if (failure) return;
    try {
      // A write to a nearly full disk takes what fits and returns short; the next one fails.
      const buf = Buffer.from(text);
      for (let at = 0; at < buf.length; ) at += writeSync(fd, buf, at);
    } catch (e) {
      failure = new WriteError(path, e);
    }
  };
  return {
    path,
    get failure() {
      return failure;
    },
    write(record) {
      if (open) put(`${JSON.stringify(record)}\n`);
    },
    writeMany(records) {
      if (!open || records.length === 0) return;
      // One write per ~4 MiB keeps 100k-node runs from holding a huge string.
      let chunk = '';
      for (const r of records) {
        chunk += `${JSON.stringify(r)}\n`;
        if (chunk.length > 4 << 20) {
          put(chunk);
          chunk = '';
        }
      }
      if (chunk) put(chunk);
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

export interface NdjsonRead {
  records: Array<Record<string, unknown>>;
  /** 1-based numbers of lines that were not JSON objects, the torn last line excepted. */
  unreadable: number[];
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The records of an NDJSON text. A killed writer can only leave its LAST line torn, so that
 * one is dropped quietly; any other line that is not a JSON object (a corrupt record in the
 * middle, binary garbage) is skipped too but counted, for callers that must say so.
 */
export function parseNdjson(text: string): NdjsonRead {
  const lines = text.split('\n');
  // Text after the final newline was still being written when the writer died.
  const torn = lines.length - 1;
  const records: Array<Record<string, unknown>> = [];
  const unreadable: number[] = [];
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    const r = parseObject(line);
    if (r) records.push(r);
    else if (i !== torn) unreadable.push(i + 1);
  }
  return { records, unreadable };
}

/** parseNdjson of a file; a missing file has no records. */
export function readNdjsonFile(path: string): NdjsonRead {
  if (!existsSync(path)) return { records: [], unreadable: [] };
  return parseNdjson(readFileSync(path, 'utf8'));
}

/** Reads records back, skipping a torn last line left by a killed writer. */
export function readNdjson<T = unknown>(path: string): T[] {
  return readNdjsonFile(path).records as T[];
}

export function appendNdjson(path: string, record: unknown): void {
  appendFileSync(path, `${JSON.stringify(record)}\n`);
}
