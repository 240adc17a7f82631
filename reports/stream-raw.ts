/**
 * Reads raw.ndjson in chunks and folds k6's points into the report's aggregates and the
 * run command's summary as they go by, so a 1,000-VU run (a million lines, hundreds of MB)
 * is never held in memory as records. Records that are not k6 points (a simulator's
 * per-node records, markers) are kept as before: the charts that read them are bounded.
 *
 * Lines of k6 metrics no chart or summary reads (the per-request timing breakdown k6 writes
 * eight lines for) are skipped by their prefix before JSON parsing: most of the file's cost.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { isPoint, type K6Metrics, k6Collector, pointMs } from '../lib/k6/collect';
import { type K6Aggregate, type K6AggregatorOptions, k6Aggregator } from './k6-aggregate';
import type { RawRecord } from './types';

/** k6 metrics read by neither lib/k6/collect nor reports/k6-aggregate. */
const UNREAD = new Set([
  'http_req_blocked',
  'http_req_connecting',
  'http_req_tls_handshaking',
  'http_req_sending',
  'http_req_waiting',
  'http_req_receiving',
  'data_sent',
  'data_received',
  'iteration_duration',
  'iterations',
  'vus_max',
  // One http_req_duration point per request carries the same tags: http_reqs (1) and
  // http_req_failed (expected_response false) are derived from it, not parsed.
  'http_reqs',
  'http_req_failed',
]);

const METRIC_PREFIX = '{"metric":"';
const CHUNK = 8 << 20;

export interface StreamedRaw {
  /** Every record that is not a k6 point or metric declaration. */
  records: RawRecord[];
  /** 1-based numbers of unreadable lines, the torn last line excepted (as parseNdjson). */
  unreadable: number[];
  /**
   * With `keep`: the k6 points of the kept metrics and k6's metric declarations, in file
   * order (what a scenario's summary and the thresholds read; the rest is folded only).
   */
  kept: RawRecord[];
  /** Set when the file held k6 points. */
  k6?: {
    aggregate: K6Aggregate;
    metrics: K6Metrics;
    points: number;
    scenario: string | undefined;
    spanMs: number;
  };
}

function parseObject(line: string): RawRecord | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as RawRecord) : undefined;
  } catch {
    return undefined;
  }
}

function metricOf(line: string): string {
  const end = line.indexOf('"', METRIC_PREFIX.length);
  return end > 0 ? line.slice(METRIC_PREFIX.length, end) : '';
}

/** A k6 metric declaration ('declaration') or a point of a metric nothing reads ('point'): skipped unparsed. */
function unread(line: string): 'declaration' | 'point' | undefined {
  if (line.startsWith('{"type":"Metric"')) return 'declaration';
  if (!line.startsWith(METRIC_PREFIX)) return undefined;
  const end = line.indexOf('"', METRIC_PREFIX.length);
  return end > 0 && UNREAD.has(line.slice(METRIC_PREFIX.length, end)) ? 'point' : undefined;
}

export interface StreamOptions extends K6AggregatorOptions {
  /** k6 metrics whose points are kept in `kept` (true: all of them). */
  keep?: ReadonlySet<string> | true;
}

export function streamRawFile(path: string, o: StreamOptions = {}): StreamedRaw {
  return streamRawFiles([path], o);
}

/**
 * Several raw files folded as one run: a sweep's own raw.ndjson (its markers) and each
 * point's (the k6 points), so its page has load over time across the points. Bins are by
 * absolute time, so the files' order does not matter; `unreadable` counts the first file's
 * lines only (each point's own page reports its own).
 */
export function streamRawFiles(paths: readonly string[], o: StreamOptions = {}): StreamedRaw {
  const out: StreamedRaw = { records: [], unreadable: [], kept: [] };
  const keep = o.keep;
  const kept = (metric: string) => keep === true || (keep?.has(metric) ?? false);
  const files = paths.filter((p) => existsSync(p));
  if (files.length === 0) return out;
  const agg = k6Aggregator(o);
  const collector = k6Collector();
  let scenario: string | undefined;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let lineNo = 0;
  let skipped = 0;
  let mainFile = false;
  // `torn`: the text after the file's last newline, still being written when a writer died.
  const onLine = (line: string, torn = false) => {
    lineNo++;
    if (!line.trim()) return;
    const skip = unread(line);
    // A kept metric's points and the declarations (a threshold's metric type) are parsed.
    if (skip && !(keep && (skip === 'declaration' || kept(metricOf(line))))) {
      if (skip === 'point') skipped++;
      return;
    }
    const r = parseObject(line);
    if (!r) {
      if (!torn && mainFile) out.unreadable.push(lineNo);
      return;
    }
    if (keep && r.type === 'Metric') {
      out.kept.push(r);
      return;
    }
    if (isPoint(r)) {
      if (keep && kept(r.metric)) out.kept.push(r);
      if (skip === 'point') {
        skipped++;
        return;
      }
      // Derived from http_req_duration below, whatever order the line's keys came in.
      if (r.metric === 'http_reqs' || r.metric === 'http_req_failed') {
        skipped++;
        return;
      }
      agg.addPoint(r);
      collector.add(r);
      if (r.metric === 'http_req_duration') {
        const tags = r.data.tags ?? {};
        collector.add({ type: 'Point', metric: 'http_reqs', data: { time: r.data.time, value: 1, tags } });
        const failed = tags.expected_response === 'false' ? 1 : 0;
        collector.add({
          type: 'Point',
          metric: 'http_req_failed',
          data: { time: r.data.time, value: failed, tags },
        });
        skipped -= 2;
      }
      const ms = pointMs(r);
      if (Number.isFinite(ms)) {
        lo = Math.min(lo, ms);
        hi = Math.max(hi, ms);
      }
      const s = r.data.tags?.scenario;
      if (scenario === undefined && typeof s === 'string' && s) scenario = s;
      return;
    }
    if (r.type === 'marker') agg.addMarker(r);
    out.records.push(r);
  };
  const buf = Buffer.allocUnsafe(CHUNK);
  for (const path of files) {
    mainFile = path === paths[0];
    lineNo = 0;
    readLines(path, buf, onLine);
  }
  const aggregate = agg.result();
  if (aggregate) {
    // Every point in the file, the skipped ones too (the envelope's runtime.events).
    const points = collector.points() + skipped;
    out.k6 = {
      aggregate: { ...aggregate, points },
      metrics: collector.metrics(),
      points,
      scenario,
      spanMs: hi > lo ? hi - lo : 0,
    };
  }
  return out;
}

/** Calls onLine for each line of the file, read in chunks; a last line without newline is `torn`. */
function readLines(path: string, buf: Buffer, onLine: (line: string, torn?: boolean) => void): void {
  const fd = openSync(path, 'r');
  let rest = '';
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      // Cut at the last newline in the chunk so no multi-byte character is split.
      const lastNl = buf.lastIndexOf(10, n - 1);
      if (lastNl < 0) {
        rest += buf.toString('utf8', 0, n);
        continue;
      }
      const text = rest + buf.toString('utf8', 0, lastNl);
      rest = buf.toString('utf8', lastNl + 1, n);
      let at = 0;
      for (;;) {
        const nl = text.indexOf('\n', at);
        if (nl < 0) {
          onLine(text.slice(at));
          break;
        }
        onLine(text.slice(at, nl));
        at = nl + 1;
      }
    }
  } finally {
    closeSync(fd);
  }
  if (rest) onLine(rest, true);
}
