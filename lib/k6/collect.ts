/**
 * k6's JSON output (one `{"type":"Point","metric":...,"data":{time,value,tags}}` per line)
 * -> the result envelope (DESIGN.md): pullS from the scenario's pull_duration Trend,
 * throttleEvents from its `throttled` Counter (429 + storage 503 ServerBusy: the scenario
 * counts a region-down 503 as an error by its code), errors by OCI code, and a
 * per-second time series for the report. Pure over the records, so a report can always be
 * rebuilt from a run dir's raw.ndjson.
 */
import type { Envelope, Metrics } from '../results/envelope';
import { cdf, egressQuantiles, quantiles } from '../results/stats';

export interface K6Point {
  type: 'Point';
  metric: string;
  data: { time: string; value: number; tags?: Record<string, string> | null };
}

export interface SecondRow {
  /** Seconds since the first point. */
  t: number;
  pullsOk: number;
  pullsFailed: number;
  bytes: number;
  throttled: number;
  errors: number;
  httpReqs: number;
}

export interface K6Metrics extends Metrics {
  pulls: { ok: number; failed: number };
  layerS?: { p50: number; p90: number; p99: number; max: number };
  throttleByCode: Record<string, number>;
  tokenRequests: number;
  blobRedirects: number;
  bytes: number;
  /**
   * `failed` counts requests that failed for real: k6's own http_req_failed also counts the
   * 401 challenge every token flow starts with, which the protocol expects; those are
   * `expected.challenge401`, beside the 307s to storage (`expected.redirect307`).
   */
  http: {
    requests: number;
    failed: number;
    byStep: Record<string, number>;
    expected: { challenge401: number; redirect307: number };
  };
  timeSeries: SecondRow[];
  /**
   * Split by the address family each request and pull used (dual-stack runs; vu/family.ts):
   * present when the scenario records `family_req`. A pull is `mixed` when its requests used
   * both families, `none` when none connected.
   */
  byFamily?: Record<string, FamilyMetrics>;
}

export interface FamilyMetrics {
  /** Requests that used this family (retries included), and those with no answer (status 0). */
  requests: number;
  unanswered: number;
  /** Median request duration (s), registry API and storage hops apart. */
  requestS: { registry?: number; storage?: number };
  pulls: { ok: number; failed: number };
  pullS?: { p50: number; p90: number; p99: number; max: number };
  /** Median per-pull throughput (bytes / pull duration), B/s. */
  pullBps?: number;
  errors: Record<string, number>;
}

export function isPoint(r: unknown): r is K6Point {
  const p = r as Partial<K6Point> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    p.type === 'Point' &&
    typeof p.metric === 'string' &&
    typeof p.data?.value === 'number' &&
    typeof p.data.time === 'string'
  );
}

let lastTime = '';
let lastMs = Number.NaN;
/**
 * A point's time in ms. Memoised on the last string: a request's points share one timestamp,
 * and Date.parse of k6's nanosecond ISO times is a large part of reading a big raw.ndjson.
 */
export function pointMs(p: K6Point): number {
  if (p.data.time !== lastTime) {
    lastTime = p.data.time;
    lastMs = Date.parse(lastTime);
  }
  return lastMs;
}

/** The 401 Bearer challenge of GET /v2/: the token flow's first step, not a failure. */
export function isExpectedChallenge(tags: Record<string, string> | null | undefined): boolean {
  return tags?.step === 'ping' && tags.status === '401';
}

export function collectMetrics(records: readonly unknown[]): K6Metrics {
  const c = k6Collector();
  for (const r of records) c.add(r);
  return c.metrics();
}

/**
 * collectMetrics one record at a time, so a big raw.ndjson can be summarised while it is
 * streamed (reports/stream-raw.ts) instead of being held in memory whole. Times are
 * rebased on the earliest point at the end (k6 writes VUs' points out of order).
 */
export function k6Collector(): { add(record: unknown): void; metrics(): K6Metrics; points(): number } {
  const pullMs: number[] = [];
  const layerMs: number[] = [];
  const egress: number[] = [];
  const byCode: Record<string, number> = {};
  const throttleByCode: Record<string, number> = {};
  const byStep: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let throttled = 0;
  let tokenRequests = 0;
  let blobRedirects = 0;
  let bytes = 0;
  let httpReqs = 0;
  let httpFailed = 0;
  let challenge401 = 0;
  let redirect307 = 0;
  let count = 0;
  // The per-second series needs the earliest time, known only at the end: events wait here.
  const evTimes: number[] = [];
  const evFields: Array<keyof Omit<SecondRow, 't'>> = [];
  const evValues: number[] = [];
  const at = (p: K6Point, field: keyof Omit<SecondRow, 't'>, v: number) => {
    evTimes.push(pointMs(p));
    evFields.push(field);
    evValues.push(v);
  };
  let t0 = Number.POSITIVE_INFINITY;
  const fam = new Map<
    string,
    {
      metrics: FamilyMetrics;
      pullMs: number[];
      bps: number[];
      reqMs: { registry: number[]; storage: number[] };
    }
  >();
  const famOf = (name: string | undefined) => {
    const key = name ?? 'unknown';
    let f = fam.get(key);
    if (!f) {
      f = {
        metrics: { requests: 0, unanswered: 0, requestS: {}, pulls: { ok: 0, failed: 0 }, errors: {} },
        pullMs: [],
        bps: [],
        reqMs: { registry: [], storage: [] },
      };
      fam.set(key, f);
    }
    return f;
  };

  function add(r: unknown): void {
    if (!isPoint(r)) return;
    const p = r;
    count++;
    t0 = Math.min(t0, pointMs(p));
    const v = p.data.value;
    const tags = p.data.tags ?? {};
    switch (p.metric) {
      case 'pull_duration':
        pullMs.push(v);
        if (tags.family) famOf(tags.family).pullMs.push(v);
        break;
      case 'layer_duration':
        layerMs.push(v);
        break;
      case 'pull_bytes_per_s':
        egress.push(v);
        if (tags.family) famOf(tags.family).bps.push(v);
        break;
      case 'family_req': {
        const f = famOf(tags.family);
        f.metrics.requests++;
        if (tags.connected === 'no') f.metrics.unanswered++;
        else f.reqMs[tags.hop === 'storage' ? 'storage' : 'registry'].push(v);
        break;
      }
      case 'pulls':
        if (tags.family) famOf(tags.family).metrics.pulls[tags.result === 'failed' ? 'failed' : 'ok'] += v;
        if (tags.result === 'failed') {
          failed += v;
          at(p, 'pullsFailed', v);
        } else {
          ok += v;
          at(p, 'pullsOk', v);
        }
        break;
      case 'layer_bytes':
        bytes += v;
        at(p, 'bytes', v);
        break;
      case 'throttled': {
        throttled += v;
        const code = tags.code ?? 'unknown';
        throttleByCode[code] = (throttleByCode[code] ?? 0) + v;
        at(p, 'throttled', v);
        break;
      }
      case 'errors': {
        const code = tags.code ?? 'UNKNOWN';
        byCode[code] = (byCode[code] ?? 0) + v;
        at(p, 'errors', v);
        if (tags.family) {
          const e = famOf(tags.family).metrics.errors;
          e[code] = (e[code] ?? 0) + v;
        }
        break;
      }
      case 'token_requests':
        tokenRequests += v;
        break;
      case 'blob_redirects':
        blobRedirects += v;
        break;
      case 'http_reqs': {
        httpReqs += v;
        at(p, 'httpReqs', v);
        const step = tags.step ?? 'other';
        byStep[step] = (byStep[step] ?? 0) + v;
        if (isExpectedChallenge(tags)) challenge401 += v;
        else if (tags.status === '307') redirect307 += v;
        break;
      }
      case 'http_req_failed':
        if (!isExpectedChallenge(tags)) httpFailed += v;
        break;
    }
  }

  function timeSeries(): SecondRow[] {
    const seconds = new Map<number, SecondRow>();
    for (let i = 0; i < evTimes.length; i++) {
      const t = Math.floor(((evTimes[i] as number) - t0) / 1000);
      const r = seconds.get(t) ?? {
        t,
        pullsOk: 0,
        pullsFailed: 0,
        bytes: 0,
        throttled: 0,
        errors: 0,
        httpReqs: 0,
      };
      seconds.set(t, r);
      r[evFields[i] as keyof Omit<SecondRow, 't'>] += evValues[i] as number;
    }
    return [...seconds.values()].sort((a, b) => a.t - b.t);
  }

  const s = (ms: number[]) => {
    const q = quantiles(ms);
    return { p50: q.p50 / 1000, p90: q.p90 / 1000, p99: q.p99 / 1000, max: q.max / 1000 };
  };
  const byFamily = (): Record<string, FamilyMetrics> => {
    const out: Record<string, FamilyMetrics> = {};
    for (const [name, f] of [...fam.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const m: FamilyMetrics = { ...f.metrics, requestS: {} };
      for (const hop of ['registry', 'storage'] as const)
        if (f.reqMs[hop].length) m.requestS[hop] = quantiles(f.reqMs[hop]).p50 / 1000;
      if (f.pullMs.length) m.pullS = s(f.pullMs);
      if (f.bps.length) m.pullBps = quantiles(f.bps).p50;
      out[name] = m;
    }
    return out;
  };
  function metrics(): K6Metrics {
    const total = Object.values(byCode).reduce((a, b) => a + b, 0);
    return {
      // No quantiles of nothing: a run where no pull finished has none (not 0 s).
      ...(pullMs.length > 0 && {
        pullS: s(pullMs),
        // The pull-duration CDF chart reads this from the summary (k6 writes no per-pull record
        // of its own the report could group).
        pullCdf: cdf(pullMs.map((ms) => ms / 1000)),
      }),
      ...(layerMs.length > 0 && { layerS: s(layerMs) }),
      ...(egress.length > 0 && { nodeEgressBps: egressQuantiles(egress) }),
      throttleEvents: throttled,
      throttleByCode,
      errors: { total, byCode },
      pulls: { ok, failed },
      tokenRequests,
      blobRedirects,
      bytes,
      http: { requests: httpReqs, failed: httpFailed, byStep, expected: { challenge401, redirect307 } },
      timeSeries: timeSeries(),
      ...(fam.size > 0 && { byFamily: byFamily() }),
    };
  }
  return { add, metrics, points: () => count };
}

export interface CollectInput {
  name: string;
  params: Record<string, unknown>;
  records: readonly unknown[];
  /** collectMetrics already run (a k6Collector fed while streaming): then `records` is not read. */
  collected?: { metrics: K6Metrics; points: number };
  wallMs: number;
  /** Extra metrics measured outside k6 (e.g. the lab's backend stats). */
  extra?: Partial<Metrics>;
  incomplete?: string;
}

export function k6Envelope(i: CollectInput): Envelope {
  const metrics: Metrics = { ...(i.collected?.metrics ?? collectMetrics(i.records)), ...i.extra };
  return {
    tool: 'stampede',
    kind: 'k6',
    name: i.name,
    seed: 0,
    params: i.params,
    metrics,
    points: [{ label: i.name, params: i.params, metrics }],
    runtime: { wallMs: i.wallMs, events: i.collected?.points ?? i.records.filter(isPoint).length },
    ...(i.incomplete ? { incomplete: { reason: i.incomplete } } : {}),
  };
}
