/**
 * The charts a page draws, in page order, each with the words printed under it. The CLI's
 * `--help` lists the same entries, so help and report never disagree.
 */
import { addressFamilySpec } from './charts/address-family';
import { backendEgressSpec } from './charts/backend-egress';
import { backendTimeSpec } from './charts/backend-time';
import { compareQuantilesSpec } from './charts/compare-quantiles';
import { compareScalarsSpec } from './charts/compare-scalars';
import { errorsByCodeSpec } from './charts/errors-by-code';
import { errorsOverTimeSpec } from './charts/errors-over-time';
import { failoverCdfSpec } from './charts/failover-cdf';
import { regionShareSpec } from './charts/failover-region-share';
import { hotBackendSpec } from './charts/hot-backend';
import { k6ThresholdsSpec } from './charts/k6-thresholds';
import { latencyQuantilesSpec } from './charts/latency-quantiles';
import { layerThroughputSpec } from './charts/layer-throughput';
import { loadOverTimeSpec } from './charts/load-over-time';
import { nodeEgressSpec } from './charts/node-egress';
import { podStartupSpec } from './charts/pod-startup';
import { pullAnatomyOverTimeSpec, pullAnatomySpec } from './charts/pull-anatomy';
import { regionAnswersSpec } from './charts/region-answers';
import { shardsSpec } from './charts/shards';
import { podStartupCdfSpec, pullCdfSpec } from './charts/startup-cdf';
import { sweepErrorSpec } from './charts/sweep-error';
import { sweepTimelineSpec } from './charts/sweep-timeline';
import { throttlesByLayerSpec } from './charts/throttles-by-layer';
import { throttlingSpec } from './charts/throttling';
import { timeSeriesSpec } from './charts/time-series';
import type { ChartEntry, RenderedChart, ReportRun } from './types';

/** Names the published source, only when the reference actually carries this metric. */
function published(run: ReportRun, key: string): string {
  const ref = run.envelope.reference;
  if (!ref?.points.some((p) => p.metrics[key] !== undefined)) return '';
  const error =
    run.envelope.kind === 'sim'
      ? ' Hover a simulated point for its error against the published value at the same configuration and quantile.'
      : '';
  return ` Dashed lines are the published values (${ref.source}).${error}`;
}

export const RUN_CHARTS: ReadonlyArray<ChartEntry<ReportRun>> = [
  {
    id: 'pod-startup',
    help: 'pod-startup P50/P90/P99 per configuration, published values overlaid',
    title: 'Pod startup P50 / P90 / P99',
    caption: (r) =>
      `Time from the start of the storm until a node's pod is running, per configuration (pull + unpack + start). Lower is better; watch P99, where throttling shows first.${published(r, 'podStartupS')}`,
    build: (r) => podStartupSpec(r.envelope),
  },
  {
    id: 'pod-startup-cdf',
    help: 'fraction of nodes started over time, one line per configuration',
    title: 'Pod startup CDF',
    caption: () =>
      'Fraction of nodes whose pod had started by a given time, one line per configuration. A line further left is faster; a long flat tail on the right is the stragglers that set P99.',
    build: (r) => podStartupCdfSpec(r.envelope, r.raw),
  },
  {
    id: 'throttling',
    help: 'throttled requests (503/429) per configuration',
    title: 'Throttling events',
    caption: (r) =>
      `Requests refused by a throttle (storage 503 or registry 429), per configuration; red bars throttled. Each one costs the client a backoff, so any non-zero bar slows the tail.${r.envelope.reference?.points.some((p) => p.metrics.throttleEvents !== undefined) ? ' Black ticks are published counts.' : ''}`,
    build: (r) => throttlingSpec(r.envelope),
  },
  {
    id: 'throttles-by-layer',
    help: 'storage 503s per layer (manifest order) and configuration (simulator runs)',
    title: '503s by layer',
    caption: () =>
      'Storage 503s per layer, layers in manifest order counted from 0, one row per configuration. Where they land decides what they cost: unpack is sequential, so a refused early big layer holds up every node that needs it next, while a refused late layer is usually fetched again before unpack reaches it.',
    build: (r) => throttlesByLayerSpec(r.envelope),
  },
  {
    id: 'hot-backend',
    help: "hottest storage backend's peak egress / its ceiling (>1 throttles)",
    title: 'Hottest backend vs its ceiling',
    caption: () =>
      'Peak egress of the busiest storage backend divided by its egress ceiling. Above the dashed line at 1 that backend throttles, however much headroom the others have: the hottest backend, not the average, decides.',
    build: (r) => hotBackendSpec(r.envelope),
  },
  {
    id: 'backend-egress',
    help: "every backend's peak egress vs its ceiling, hottest first, per configuration",
    title: 'Per-backend peak egress vs ceiling',
    caption: () =>
      'One panel per configuration; bars are storage backends ranked by peak egress (hottest first), black ticks their ceilings, red bars above the ceiling. A steep left edge means reads concentrate on a few backends.',
    build: (r) => backendEgressSpec(r.envelope),
  },
  {
    id: 'node-egress',
    help: 'per-node download throughput P50..P99.9 per configuration',
    title: 'Per-node egress distribution',
    caption: (r) =>
      `Download throughput per node as quantiles (P50 to P99.9) per configuration. Rising P50/P75 means the typical node pulls faster; P99/P99.9 spikes with a falling P50 mean load fragments into bursts.${published(r, 'nodeEgressBps')}`,
    build: (r) => nodeEgressSpec(r.envelope),
  },
  {
    id: 'pull',
    help: 'pull duration P50/P90/P99/max (k6 runs: per VU pull)',
    title: 'Pull duration quantiles',
    caption: (r) =>
      `Time per image pull (per VU pull in k6 runs) as P50/P90/P99/max per configuration. Lower is better; the gap between P50 and P99 is the spread between lucky and unlucky pulls.${published(r, 'pullS')}`,
    build: (r) => latencyQuantilesSpec(r.envelope, 'pullS'),
  },
  {
    id: 'pull-cdf',
    help: 'fraction of pulls finished over time',
    title: 'Pull duration CDF',
    caption: () =>
      'Fraction of pulls finished within a given time, one line per configuration; further left is faster.',
    build: (r) => pullCdfSpec(r.envelope, r.raw),
  },
  {
    id: 'load',
    help: 'k6 runs: active VUs, requests/s, bytes/s, failed %, latency P50/P95/P99 per time bin',
    title: 'Load over time',
    caption: (r) =>
      `One shared time axis, bins of ${r.k6?.binS ?? '?'} s. Active VUs, requests per second, blob bytes received per second, the share of requests that failed (the token flow's 401 challenge and the 307 to storage are expected and not counted), and request latency P50/P95/P99 computed from each bin's own requests. Dashed purple rules are the run's fault and phase markers. Read latency against VUs: P99 rising while VUs are flat is the system saturating, not more load.`,
    build: (r) => loadOverTimeSpec(r.k6),
  },
  {
    id: 'shards',
    help: "k6 runs with --shards N: each k6 process's pulls over time and its pull-duration quantiles, beside all together",
    title: 'Per k6 process (shards)',
    caption: () =>
      "Left: pulls ending per second in each k6 process of a `--shards N` run (k6's shard tag), with each shard's start, end or kill as a rule. Right: each shard's pull duration P50/P90/P99/max and, dashed, all shards together (the run's figures, from the merged samples, never averaged). The shards of one scenario should overlap; a line that stops early is a shard that was killed or ran out of work first, quantiles apart are a process on a slower path.",
    build: (r) => shardsSpec(r.k6),
  },
  {
    id: 'responses',
    help: 'k6 runs: failed requests by HTTP status / failed pulls by OCI code, over time and in total; expected 401/307 apart',
    title: 'Errors and expected responses',
    caption: () =>
      'Top: responses per time bin by code, failures in colour (HTTP status of a failed request, "pull failed: CODE" for a pull that gave up with an OCI error), the responses the protocol expects (the 401 challenge, the 307 redirect) in grey. Bottom: the totals. A clean run has only grey bars.',
    build: (r) => errorsOverTimeSpec(r.k6),
  },
  {
    id: 'pull-anatomy',
    help: 'k6 runs: per pull step (challenge, AAD, exchange, token, manifest, 307, blob data) request time and share',
    title: 'Pull anatomy',
    caption: () =>
      "Left: each step's request time, dot P50, diamond P90, line to P99, black tick the slowest (log scale). Right: each step's share of all the time the pull's requests took. Blobs are fetched several at a time, so the blob share is of request time, not of wall time. A big token or challenge share means auth, not storage, is the cost.",
    build: (r) => pullAnatomySpec(r.k6),
  },
  {
    id: 'pull-anatomy-time',
    help: "k6 runs: each pull step's share of request time per time bin",
    title: 'Pull anatomy over time',
    caption: () =>
      "Each step's share of the request time in each bin. A band that widens mid-run is a step that slowed under load (a throttled backend widens blob data; a struggling token service widens the token band).",
    build: (r) => pullAnatomyOverTimeSpec(r.k6),
  },
  {
    id: 'layer-throughput',
    help: 'k6 runs: throughput per blob size (P10/P50/P90)',
    title: 'Throughput per layer size',
    caption: () =>
      "Each blob's size divided by the time its bytes took, per distinct size: dot P50, bar P10 to P90. Small blobs are dominated by per-request cost; the big ones show the bandwidth the storage path gives.",
    build: (r) => layerThroughputSpec(r.k6),
  },
  {
    id: 'backend-time',
    help: 'k6 lab runs: egress per storage backend over time vs its ceiling (where one is set), 503s per bin',
    title: 'Where the bytes went',
    caption: () =>
      'One panel per region: blob bytes each storage backend served per second (blob requests per second when the blob sizes are unknown). A dashed line is that backend\'s egress ceiling, drawn only where the lab set one; "no ceiling" says none was set. The bottom panel counts the 503s each backend answered.',
    build: (r) => backendTimeSpec(r.k6, r.envelope),
  },
  {
    id: 'sweep-timeline',
    help: 'measured copy sweeps: each point from its start to its end on one time axis',
    title: 'Sweep points over time',
    caption: () =>
      "Each point of the measured sweep as a bar from its start to its end (the sweep's markers): a long bar is a slow point, a gap between bars is the next point's set-up (its image seeded, its copy count set), a red bar a point that never ended (the sweep was cut short). Hover for the point's pull P50 and failures.",
    build: (r) => sweepTimelineSpec(r.envelope, r.raw),
  },
  {
    id: 'region-answers',
    help: 'k6 lab runs: the region whose front the DNS answered, per request over time',
    title: 'Region answered over time',
    caption: (r) =>
      (r.k6?.answers.length ?? 0) > 0
        ? "Requests to the registry per bin (token, manifest, blob redirect: every step but the blob bytes) by the region whose front they reached: the address k6 connected to (its ip tag), which is the lab DNS's answer for the global name. A failover or a DNS bounce shows as the colours swapping; markers show when a fault was injected or cleared."
        : "Blob requests per bin by the region whose storage served them (the 307's storage host names it; this run recorded no front addresses, so not the DNS answer itself). A failover or a DNS bounce shows as the colours swapping; markers show when a fault was injected or cleared.",
    build: (r) => regionAnswersSpec(r.k6),
  },
  {
    id: 'errors',
    help: 'failed requests by error code',
    title: 'Errors by code',
    caption: () =>
      'Failed requests grouped by error code (OCI error codes or HTTP statuses), one bar per configuration. Throttles are counted separately above; codes here are real failures.',
    build: (r) => errorsByCodeSpec(r.envelope),
  },
  {
    id: 'k6-thresholds',
    help: 'k6 thresholds: each one, the value it was decided on and its verdict',
    title: 'k6 thresholds',
    caption: () =>
      'Each k6 threshold of the run (the scenario’s and --threshold), the value it was decided on from the raw samples of every k6 process together (time trends in ms, as k6 records them) and its verdict; a crossed one, in red, failed the run.',
    build: (r) => k6ThresholdsSpec(r.envelope),
  },
  {
    id: 'replication-lag',
    help: 'replication lag P50/P90/P99/max',
    title: 'Replication lag',
    caption: (r) =>
      `Time from a push being accepted in its home region until the content is pullable in another replica, as P50/P90/P99/max. A cross-region pull sooner than this sees MANIFEST_UNKNOWN or BLOB_UNKNOWN.${published(r, 'replicationLagS')}`,
    build: (r) => latencyQuantilesSpec(r.envelope, 'replicationLagS'),
  },
  {
    id: 'failover',
    help: 'failover time P50/P90/P99/max',
    title: 'Failover time',
    caption: (r) =>
      `Time from a region going unhealthy until clients reach a healthy one (probe interval x tolerated failures + DNS TTL + client DNS cache), as P50/P90/P99/max.${published(r, 'failoverS')}`,
    build: (r) => latencyQuantilesSpec(r.envelope, 'failoverS'),
  },
  {
    id: 'time-series',
    help: 'numeric raw.ndjson values over time (mean line, max band; k6 points have their own charts)',
    title: 'Raw records over time',
    caption: () =>
      'Every numeric value found in raw.ndjson records that carry a time, binned: the line is the mean per bin, the shaded band reaches the max. Each series has its own y scale; only the 8 largest series are drawn.',
    build: (r) => timeSeriesSpec(r.raw),
  },
];

export const COMPARE_CHARTS: ReadonlyArray<ChartEntry<readonly ReportRun[]>> = [
  {
    id: 'compare-pod-startup',
    help: 'pod-startup quantiles per configuration, one line per run',
    title: 'Pod startup, run by run',
    caption: () =>
      'Pod-startup P50/P90/P99 per configuration, one line per run. Lines that overlap mean the runs agree; compare tails (P99) first.',
    build: (runs) => compareQuantilesSpec(runs, 'podStartupS'),
  },
  {
    id: 'compare-pull',
    help: 'pull-duration quantiles, one line per run',
    title: 'Pull duration, run by run',
    caption: () => 'Pull-duration P50/P90/P99 per configuration, one line per run.',
    build: (runs) => compareQuantilesSpec(runs, 'pullS'),
  },
  {
    id: 'compare-sweep-error',
    help: 'a simulated copy sweep against the measured one: error per point and figure',
    title: 'Simulated vs measured, per point',
    caption: () =>
      'One panel per figure (pull P50/P90/P99, the hottest backend over its ceiling) against the copy count, one colour per fleet size: the measured sweep solid, the simulated one dashed, and the shaded band around each measured point is what the simulator is held to (±10% P50/P90, ±15% P99 and the ratio). A dashed point outside its band misses; hover it for its error and both 503 counts.',
    build: (runs) => sweepErrorSpec(runs),
  },
  {
    id: 'compare-replication-lag',
    help: 'replication-lag quantiles, one line per run',
    title: 'Replication lag, run by run',
    caption: () => 'Replication-lag P50/P90/P99 per configuration, one line per run.',
    build: (runs) => compareQuantilesSpec(runs, 'replicationLagS'),
  },
  {
    id: 'compare-failover',
    help: 'failover-time quantiles, one line per run',
    title: 'Failover time, run by run',
    caption: () => 'Failover-time P50/P90/P99 per configuration, one line per run.',
    build: (runs) => compareQuantilesSpec(runs, 'failoverS'),
  },
  {
    id: 'compare-failover-cdf',
    help: 'failover and failback CDFs over clients, measured and simulated runs overlaid',
    title: 'Failover and failback over clients, measured vs simulated',
    caption: () =>
      "One step line per run (named measured or simulated): on the left each client from the fault start to its first successful pull, on the right from the clear to its first pull served by its own region again. Where the simulated twin and the lab run agree the lines overlap; the grey band spans the simulated setting's exact best to worst case, and a measured line should stay inside it. Hover a line for its value.",
    build: (runs) => failoverCdfSpec(runs),
  },
  {
    id: 'compare-failover-region-share',
    help: 'share served per region over time, measured and simulated runs overlaid (dash = run)',
    title: 'Which region serves the fleet, measured vs simulated',
    caption: () =>
      "Each line is a region's share of the requests ending in a time bin (red: failed), one dash style per run, with each run's fault window and Traffic Manager transitions as rules. The twin's lines should step where the lab's do.",
    build: (runs) => regionShareSpec(runs),
  },
  {
    id: 'compare-address-family',
    help: 'dual stack: pull time, throughput, requests and errors by the address family used, runs side by side',
    title: 'By address family, run by run',
    caption: () =>
      "Each run (its dns.policy in brackets) split by the address family its requests actually used, from k6's peer address: one row per metric with its own scale. 'none' is requests that never connected (refused, no address of the family), 'mixed' a pull whose requests used both.",
    build: (runs) => addressFamilySpec(runs),
  },
  {
    id: 'compare-scalars',
    help: 'throttle events, errors, hot-backend ratio, node egress P50, bars per run',
    title: 'Throttling, errors and egress, run by run',
    caption: () =>
      'One row per metric (each with its own scale), grouped bars per run for every configuration: throttle events, error total, hottest-backend ratio and median per-node egress.',
    build: (runs) => compareScalarsSpec(runs),
  },
];

export function renderCharts<In>(
  entries: ReadonlyArray<ChartEntry<In>>,
  input: In,
  idPrefix = '',
): RenderedChart[] {
  return entries.flatMap((e) => {
    const spec = e.build(input);
    return spec ? [{ id: `${idPrefix}${e.id}`, title: e.title, caption: e.caption(input), spec }] : [];
  });
}
