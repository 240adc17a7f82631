/**
 * A k6 run's raw points folded into time bins as they are read, for the load, anatomy,
 * bytes and error charts. Nothing per point survives: each 100 ms base bin keeps counts,
 * sums and the latencies that fell into it (percentiles per bin must come from the bin's
 * own samples, not from means of means), and `result()` merges base bins into at most
 * MAX_BINS bins of a round width. A 1,000-VU run's million points make a few hundred rows.
 */
import { quantileSorted } from 'simple-statistics';
import { isExpectedChallenge, isPoint, pointMs } from '../lib/k6/collect';
import { entry, isNum } from './points';

export const BASE_MS = 100;
export const MAX_BINS = 150;
/** Bin widths (seconds) a reader can count in. */
const NICE_S = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];

/** The pull's steps as lib/k6/vu tags them, in pull order, with the names the page prints. */
export const STEPS: ReadonlyArray<readonly [tag: string, label: string]> = [
  ['ping', 'ping / 401 challenge'],
  ['aad', 'Azure AD token'],
  ['exchange', 'AAD exchange'],
  ['token', 'registry token'],
  ['manifest', 'manifest'],
  ['blob', 'blob 307 redirect'],
  ['blob-data', 'blob data'],
];
const STEP_LABEL = new Map(STEPS);
export const stepLabel = (tag: string): string => STEP_LABEL.get(tag) ?? tag;

/** Tags whose first appearance marks a phase on the time axis (a sweep point, a shard). */
const PHASE_TAGS = ['point', 'shard', 'phase'] as const;

export const EXPECTED_401 = '401 challenge (expected)';
export const EXPECTED_307 = '307 to storage (expected)';

interface BaseBin {
  reqs: number;
  failed: number;
  bytes: number;
  vus: number | undefined;
  latency: number[];
  steps: Map<string, number[]>;
  codes: Map<string, number>;
  backendBytes: Map<string, number>;
  backendReqs: Map<string, number>;
  backend503: Map<string, number>;
  regionReqs: Map<string, number>;
  answerReqs: Map<string, number>;
  /** Pulls that ended in the bin (ok and failed) and the failed ones, by k6 process (shard tag). */
  shardPulls: Map<string, number>;
  shardFailed: Map<string, number>;
}

export interface LoadRow {
  /** Seconds since the run's first point (bin start). */
  t: number;
  vus: number | null;
  reqPerS: number;
  bytesPerS: number;
  failedPerS: number;
  /** Failed requests / requests in the bin (0 without requests). */
  failedRate: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  requests: number;
}

export interface CodeRow {
  t: number;
  code: string;
  expected: boolean;
  count: number;
}

export interface StepRow {
  step: string;
  label: string;
  requests: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  totalMs: number;
  /** Of all the pull's request time (ms summed over every request of every step). */
  share: number;
}

export interface StepTimeRow {
  t: number;
  step: string;
  label: string;
  totalMs: number;
  p50: number;
}

export interface LayerRow {
  sizeBytes: number;
  blobs: number;
  p10: number;
  p50: number;
  p90: number;
}

export interface BackendTimeRow {
  t: number;
  backend: string;
  region: string;
  bytesPerS: number | null;
  reqPerS: number;
  r503: number;
}

export interface RegionTimeRow {
  t: number;
  region: string;
  requests: number;
}

/** One shard's pulls in one bin (`stampede run --shards N`: k6's points carry shard=<i>). */
export interface ShardTimeRow {
  t: number;
  shard: string;
  pulls: number;
  failed: number;
  pullsPerS: number;
}

/** One shard's pull durations (ms, ok pulls), and the same for all shards together ("all"). */
export interface ShardQuantileRow {
  shard: string;
  pulls: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface Marker {
  t: number;
  label: string;
  kind: string;
}

export interface K6Aggregate {
  binS: number;
  /** k6 points folded in. */
  points: number;
  load: LoadRow[];
  codes: CodeRow[];
  steps: StepRow[];
  stepsOverTime: StepTimeRow[];
  layers: LayerRow[];
  backends: BackendTimeRow[];
  regions: RegionTimeRow[];
  /**
   * Requests to the registry (every step but the blob bytes) by the region whose front the
   * DNS answered (k6's `ip` tag, mapped by `frontRegions`): empty without the map.
   */
  answers: RegionTimeRow[];
  markers: Marker[];
  /** Per shard over time and its pull quantiles; empty for a run of one k6 process. */
  shards: ShardTimeRow[];
  shardQuantiles: ShardQuantileRow[];
}

export interface K6AggregatorOptions {
  /** Blob sizes by digest (the lab's seeded layers): bytes per storage backend. */
  blobSizes?: ReadonlyMap<string, number>;
  /** Front addresses -> region (the lab's): which region's front each request reached. */
  frontRegions?: ReadonlyMap<string, string>;
}

/** The storage backend a blob URL reads from (`<backend>.blob.<domain>`), and its region. */
export function backendOf(url: string): { backend: string; region: string } | undefined {
  const host = /^[a-z][a-z0-9+.-]*:\/\/([^/:]+)/i.exec(url)?.[1];
  const m = host ? /^([^.]+)\.blob\./i.exec(host) : null;
  if (!m?.[1]) return undefined;
  const region = /^(.+)-b\d+$/.exec(m[1])?.[1] ?? 'unknown';
  return { backend: m[1], region };
}

const DIGEST_IN_URL = /\/blobs\/sha256\/(?:[0-9a-f]{2}\/)?([0-9a-f]{64})/;

function newBin(): BaseBin {
  return {
    reqs: 0,
    failed: 0,
    bytes: 0,
    vus: undefined,
    latency: [],
    steps: new Map(),
    codes: new Map(),
    backendBytes: new Map(),
    backendReqs: new Map(),
    backend503: new Map(),
    regionReqs: new Map(),
    answerReqs: new Map(),
    shardPulls: new Map(),
    shardFailed: new Map(),
  };
}

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

function q(sorted: number[], p: number): number {
  return Math.round(quantileSorted(sorted, p) * 1000) / 1000;
}

/** Why a request failed, as its row in the errors chart: an HTTP status, or no response. */
function failureCode(tags: Record<string, string>): string {
  const status = tags.status ?? '0';
  if (status === '0') return `no response${tags.error_code ? ` (k6 ${tags.error_code})` : ''}`;
  return `HTTP ${status}`;
}

export function k6Aggregator(o: K6AggregatorOptions = {}) {
  const bins = new Map<number, BaseBin>();
  const layers = new Map<number, number[]>();
  const rawMarkers: Array<{ ms: number; label: string; kind: string }> = [];
  const firstSeen = new Map<string, number>();
  let points = 0;
  let minMs = Number.POSITIVE_INFINITY;
  let maxMs = Number.NEGATIVE_INFINITY;
  const backendRegion = new Map<string, string>();
  /** Ok pull durations by shard: one number per pull, a few thousand even for a big run. */
  const shardPullMs = new Map<string, number[]>();

  function addPoint(r: unknown): void {
    if (!isPoint(r)) return;
    const ms = pointMs(r);
    if (!Number.isFinite(ms)) return;
    points++;
    minMs = Math.min(minMs, ms);
    maxMs = Math.max(maxMs, ms);
    const bin = entry(bins, Math.floor(ms / BASE_MS), newBin);
    const v = r.data.value;
    const tags = r.data.tags ?? {};
    for (const k of PHASE_TAGS) {
      const val = tags[k];
      if (val === undefined) continue;
      const key = `${k}=${val}`;
      const seen = firstSeen.get(key);
      if (seen === undefined || ms < seen) firstSeen.set(key, ms);
    }
    switch (r.metric) {
      case 'pulls':
        if (tags.shard !== undefined) {
          add(bin.shardPulls, tags.shard, v);
          if (tags.result === 'failed') add(bin.shardFailed, tags.shard, v);
        }
        break;
      case 'pull_duration':
        if (tags.shard !== undefined) entry(shardPullMs, tags.shard, () => []).push(v);
        break;
      case 'vus':
        bin.vus = Math.max(bin.vus ?? 0, v);
        break;
      case 'layer_bytes':
        bin.bytes += v;
        break;
      case 'layer_duration': {
        const size = Number(tags.size);
        if (Number.isFinite(size) && size > 0 && v > 0) entry(layers, size, () => []).push(size / (v / 1000));
        break;
      }
      case 'errors':
        // A pull that failed, by the OCI code it failed with (its requests are counted below).
        add(bin.codes, `pull failed: ${tags.code ?? 'UNKNOWN'}`, v);
        break;
      case 'http_req_duration': {
        // One point per request: counts, failures and status codes all come from it.
        bin.reqs++;
        bin.latency.push(v);
        const step = tags.step ?? 'other';
        entry(bin.steps, step, () => []).push(v);
        if (isExpectedChallenge(tags)) add(bin.codes, EXPECTED_401, 1);
        else if (tags.status === '307') add(bin.codes, EXPECTED_307, 1);
        else if (tags.expected_response === 'false') {
          bin.failed++;
          add(bin.codes, failureCode(tags), 1);
        }
        const answered = tags.ip ? o.frontRegions?.get(tags.ip) : undefined;
        if (answered !== undefined && step !== 'blob-data') add(bin.answerReqs, answered, 1);
        const where = tags.name ? backendOf(tags.name) : undefined;
        if (where && step === 'blob-data') {
          backendRegion.set(where.backend, where.region);
          add(bin.backendReqs, where.backend, 1);
          add(bin.regionReqs, where.region, 1);
          if (tags.status === '503') add(bin.backend503, where.backend, 1);
          const digest = DIGEST_IN_URL.exec(tags.name ?? '')?.[1];
          const size = digest ? o.blobSizes?.get(`sha256:${digest}`) : undefined;
          if (tags.status === '200' && size !== undefined) add(bin.backendBytes, where.backend, size);
        }
        break;
      }
    }
  }

  /** A `{type: "marker"}` raw record: a fault injected or cleared, a phase starting. */
  function addMarker(r: Record<string, unknown>): void {
    const ms = typeof r.time === 'string' ? Date.parse(r.time) : Number.NaN;
    if (!Number.isFinite(ms) || typeof r.label !== 'string') return;
    rawMarkers.push({ ms, label: r.label, kind: typeof r.kind === 'string' ? r.kind : 'marker' });
  }

  function result(): K6Aggregate | undefined {
    if (points === 0) return undefined;
    const k0 = Math.floor(minMs / BASE_MS);
    const spanS = ((Math.floor(maxMs / BASE_MS) - k0 + 1) * BASE_MS) / 1000;
    const binS = NICE_S.find((w) => spanS / w <= MAX_BINS) ?? Math.ceil(spanS / MAX_BINS);
    const factor = Math.round((binS * 1000) / BASE_MS);
    const merged = new Map<number, BaseBin>();
    for (const [k, b] of bins) {
      const m = entry(merged, Math.floor((k - k0) / factor), newBin);
      m.reqs += b.reqs;
      m.failed += b.failed;
      m.bytes += b.bytes;
      if (b.vus !== undefined) m.vus = Math.max(m.vus ?? 0, b.vus);
      for (const x of b.latency) m.latency.push(x);
      for (const [s, xs] of b.steps) {
        const into = entry(m.steps, s, () => []);
        for (const x of xs) into.push(x);
      }
      for (const [from, into] of [
        [b.codes, m.codes],
        [b.backendBytes, m.backendBytes],
        [b.backendReqs, m.backendReqs],
        [b.backend503, m.backend503],
        [b.regionReqs, m.regionReqs],
        [b.answerReqs, m.answerReqs],
        [b.shardPulls, m.shardPulls],
        [b.shardFailed, m.shardFailed],
      ] as const) {
        for (const [k2, v] of from) add(into, k2, v);
      }
    }
    const order = [...merged.keys()].sort((a, b) => a - b);
    const last = order[order.length - 1] ?? 0;
    const t = (i: number) => Math.round(i * binS * 1000) / 1000;
    const load: LoadRow[] = [];
    const codes: CodeRow[] = [];
    const stepsOverTime: StepTimeRow[] = [];
    const backends: BackendTimeRow[] = [];
    const regions: RegionTimeRow[] = [];
    const answers: RegionTimeRow[] = [];
    const shards: ShardTimeRow[] = [];
    const shardIds = [...new Set([...merged.values()].flatMap((b) => [...b.shardPulls.keys()]))].sort(
      (a, b) => Number(a) - Number(b) || a.localeCompare(b),
    );
    const allSteps = new Map<string, number[]>();
    const sizesKnown = (o.blobSizes?.size ?? 0) > 0;
    // Every bin from the first to the last, empty ones too: a stall must show as zeros, not be bridged.
    for (let i = 0; i <= last; i++) {
      const b = merged.get(i) ?? newBin();
      const lat = b.latency.sort((x, y) => x - y);
      load.push({
        t: t(i),
        vus: b.vus ?? null,
        reqPerS: b.reqs / binS,
        bytesPerS: b.bytes / binS,
        failedPerS: b.failed / binS,
        failedRate: b.reqs > 0 ? b.failed / b.reqs : 0,
        p50: lat.length ? q(lat, 0.5) : null,
        p95: lat.length ? q(lat, 0.95) : null,
        p99: lat.length ? q(lat, 0.99) : null,
        requests: b.reqs,
      });
      for (const [code, count] of b.codes)
        codes.push({ t: t(i), code, expected: code === EXPECTED_401 || code === EXPECTED_307, count });
      for (const [step, xs] of b.steps) {
        xs.sort((x, y) => x - y);
        const into = entry(allSteps, step, () => []);
        for (const x of xs) into.push(x);
        stepsOverTime.push({
          t: t(i),
          step,
          label: stepLabel(step),
          totalMs: Math.round(xs.reduce((a, x) => a + x, 0) * 1000) / 1000,
          p50: q(xs, 0.5),
        });
      }
      for (const [backend, region] of backendRegion)
        backends.push({
          t: t(i),
          backend,
          region,
          bytesPerS: sizesKnown ? (b.backendBytes.get(backend) ?? 0) / binS : null,
          reqPerS: (b.backendReqs.get(backend) ?? 0) / binS,
          r503: b.backend503.get(backend) ?? 0,
        });
      for (const [region, requests] of b.regionReqs) regions.push({ t: t(i), region, requests });
      for (const [region, requests] of b.answerReqs) answers.push({ t: t(i), region, requests });
      // Every shard in every bin: a shard that stopped (killed, done early) reads 0, not bridged.
      for (const shard of shardIds) {
        const pulls = b.shardPulls.get(shard) ?? 0;
        shards.push({
          t: t(i),
          shard,
          pulls,
          failed: b.shardFailed.get(shard) ?? 0,
          pullsPerS: pulls / binS,
        });
      }
    }
    let totalMs = 0;
    for (const xs of allSteps.values()) for (const x of xs) totalMs += x;
    const known = STEPS.map(([s]) => s);
    const steps: StepRow[] = [...allSteps]
      .sort((a, b) => rank(known, a[0]) - rank(known, b[0]))
      .map(([step, xs]) => {
        xs.sort((x, y) => x - y);
        const sum = xs.reduce((a, x) => a + x, 0);
        return {
          step,
          label: stepLabel(step),
          requests: xs.length,
          p50: q(xs, 0.5),
          p90: q(xs, 0.9),
          p99: q(xs, 0.99),
          max: xs[xs.length - 1] as number,
          totalMs: Math.round(sum),
          share: totalMs > 0 ? sum / totalMs : 0,
        };
      });
    const layerRows: LayerRow[] = [...layers]
      .sort((a, b) => a[0] - b[0])
      .map(([sizeBytes, xs]) => {
        xs.sort((x, y) => x - y);
        return { sizeBytes, blobs: xs.length, p10: q(xs, 0.1), p50: q(xs, 0.5), p90: q(xs, 0.9) };
      });
    const origin = k0 * BASE_MS;
    const rel = (ms: number) => Math.round(ms - origin) / 1000;
    const markers: Marker[] = [
      ...rawMarkers.map((m) => edgeMarker(rel(m.ms), (last + 1) * binS, m.label, m.kind)),
      ...[...firstSeen].map(([key, ms]) => ({
        t: rel(ms),
        label: key.replace('=', ' '),
        kind: key.split('=')[0] ?? 'phase',
      })),
    ].sort((a, b) => a.t - b.t);
    const quantilesOf = (shard: string, xs: number[]): ShardQuantileRow => {
      xs.sort((x, y) => x - y);
      return {
        shard,
        pulls: xs.length,
        p50: q(xs, 0.5),
        p90: q(xs, 0.9),
        p99: q(xs, 0.99),
        max: xs[xs.length - 1] as number,
      };
    };
    const byShard = [...shardPullMs].sort((a, b) => Number(a[0]) - Number(b[0]) || a[0].localeCompare(b[0]));
    // "all": from every shard's samples together, never an average of the shards' quantiles.
    const shardQuantiles =
      byShard.length > 0
        ? [
            ...byShard.map(([shard, xs]) => quantilesOf(shard, xs)),
            quantilesOf(
              'all',
              byShard.flatMap(([, xs]) => xs),
            ),
          ]
        : [];
    return {
      binS,
      points,
      load,
      codes,
      steps,
      stepsOverTime,
      layers: layerRows,
      backends,
      regions,
      answers,
      markers,
      shards,
      shardQuantiles,
    };
  }

  return { addPoint, addMarker, result };
}

/**
 * A marker outside the run's points (a DNS flap set before k6 started) is drawn at the
 * axis' edge, saying how far outside it was, not off the chart.
 */
function edgeMarker(t: number, endS: number, label: string, kind: string): Marker {
  if (t < 0) return { t: 0, label: `${label} (${(-t).toFixed(1)} s before)`, kind };
  if (t > endS) return { t: endS, label: `${label} (${(t - endS).toFixed(1)} s after)`, kind };
  return { t, label, kind };
}

function rank(order: string[], step: string): number {
  const i = order.indexOf(step);
  return i < 0 ? order.length : i;
}

/** Layer sizes by digest from a lab run's params (target.seeded.layers), for bytes per backend. */
export function blobSizesOf(params: Record<string, unknown>): Map<string, number> {
  const layers = (params.target as { seeded?: { layers?: unknown } } | undefined)?.seeded?.layers;
  const out = new Map<string, number>();
  if (!Array.isArray(layers)) return out;
  for (const l of layers) {
    const { digest, size } = (l ?? {}) as { digest?: unknown; size?: unknown };
    if (typeof digest === 'string' && isNum(size)) out.set(digest, size);
  }
  return out;
}

/** The lab's front addresses -> region, as the run recorded them (params.target.frontRegions). */
export function frontRegionsOf(params: Record<string, unknown>): Map<string, string> {
  const m = (params.target as { frontRegions?: unknown } | undefined)?.frontRegions;
  const out = new Map<string, string>();
  if (typeof m !== 'object' || m === null) return out;
  for (const [ip, region] of Object.entries(m)) if (typeof region === 'string') out.set(ip, region);
  return out;
}

/** The aggregate of records already in memory (tests, a comparison built from arrays). */
export function aggregateK6(
  records: readonly Record<string, unknown>[],
  o: K6AggregatorOptions = {},
): K6Aggregate | undefined {
  const a = k6Aggregator(o);
  for (const r of records) {
    if (r.type === 'marker') a.addMarker(r);
    else a.addPoint(r);
  }
  return a.result();
}
