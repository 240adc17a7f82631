/**
 * Raw results stream to disk as they happen, one JSON object per line, so a killed run
 * still leaves everything measured up to that moment. Writes are synchronous appends:
 * slower than a buffered stream, but nothing sits in a buffer when the process dies.
 * Callers that produce many records at once batch them with writeMany().
 */
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';

export interface NdjsonWriter {
  write(record: unknown): void;
  writeMany(records: readonly unknown[]): void;
  close(): void;
  readonly path: string;
}

/** A fresh file per run: records of an earlier run in the same directory would mix in. */
export function ndjsonWriter(path: string): NdjsonWriter {
  const fd = openSync(path, 'w');
  let open = true;
  return {
    path,
    write(record) {
      if (open) writeSync(fd, `${JSON.stringify(record)}\n`);
    },
    writeMany(records) {
      if (!open || records.length === 0) return;
      // One write per ~4 MiB keeps 100k-node runs from holding a huge string.
      let chunk = '';
      for (const r of records) {
        chunk += `${JSON.stringify(r)}\n`;
        if (chunk.length > 4 << 20) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
      if (chunk) writeSync(fd, chunk);
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Reads records back, skipping a torn last line left by a killed writer. */
export function readNdjson<T = unknown>(path: string): T[] {
  if (!existsSync(path)) return [];
  const out: T[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // A partial line can only be the last one a crashed writer left: skip it.
    }
  }
  return out;
}

export function appendNdjson(path: string, record: unknown): void {
  appendFileSync(path, `${JSON.stringify(record)}\n`);
}
