/**
 * Reads raw.ndjson for a report. A killed writer can only leave its LAST line torn, so that
 * one is dropped quietly; any other line that is not a JSON object (a corrupt record in the
 * middle, binary garbage) is skipped too but counted, because a report that silently drops
 * data reads as complete when it is not.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { RawRecord } from './types';

export interface RawRead {
  records: RawRecord[];
  /** 1-based numbers of lines that were not JSON objects, the torn last line excepted. */
  unreadable: number[];
}

function isRecord(v: unknown): v is RawRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parse(line: string): RawRecord | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Pure over the file's text, so the torn-line rule is tested without a file. */
export function parseRaw(text: string): RawRead {
  const lines = text.split('\n');
  // Text after the final newline was still being written when the writer died.
  const torn = lines.length - 1;
  const records: RawRecord[] = [];
  const unreadable: number[] = [];
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    const r = parse(line);
    if (r) records.push(r);
    else if (i !== torn) unreadable.push(i + 1);
  }
  return { records, unreadable };
}

export function readRaw(path: string): RawRead {
  if (!existsSync(path)) return { records: [], unreadable: [] };
  return parseRaw(readFileSync(path, 'utf8'));
}

/** "3 unreadable lines in raw.ndjson skipped (lines 4, 9, 12)": the console warning and the banner. */
export function unreadableNote(unreadable: readonly number[]): string | undefined {
  if (unreadable.length === 0) return undefined;
  const shown = unreadable.slice(0, 5).join(', ');
  const more = unreadable.length > 5 ? `, … ${unreadable.length - 5} more` : '';
  const s = unreadable.length === 1 ? '' : 's';
  return `${unreadable.length} unreadable line${s} in raw.ndjson skipped (line${s} ${shown}${more})`;
}
