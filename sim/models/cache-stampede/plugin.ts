/**
 * `stampede sim cache-stampede`: a fleet pulling an image a pull-through cache has not
 * hydrated yet, one point per strategy (coalescing off / per-front / global, breaker,
 * pre-warm). Registered in sim/experiments/registry.ts.
 */
import { InputError } from '../../../lib/errors';
import type { Envelope, Metrics, Point, Quantiles } from '../../../lib/results/envelope';
import { quantiles } from '../../../lib/results/stats';
import { cacheStampedeTimelineChart } from '../../../reports/charts/cache-stampede-timeline';
import { cacheStampedeUpstreamChart } from '../../../reports/charts/cache-stampede-upstream';
import { defineModel, type ModelIo, type ModelResult } from '../../experiments/model';
import { createRng } from '../../kernel/rng';
import {
  type CacheStampedeParams,
  cacheStampedeSchema,
  STRATEGIES,
  STRATEGY_NAMES,
  type Strategy,
} from './params';
import { arrivalOffsets, type Design, type RunResult, simulateCacheStampede } from './simulate';

export function validateCacheStampede(p: CacheStampedeParams): void {
  p.strategies.forEach((s, i) => {
    if (!(STRATEGY_NAMES as string[]).includes(s))
      throw new InputError(`strategies[${i}]`, `one of ${STRATEGY_NAMES.join(', ')}`, s);
  });
  if (p.client.retryCapS < p.client.retryBaseS)
    throw new InputError(
      'client.retryCapS',
      `at least client.retryBaseS (${p.client.retryBaseS})`,
      p.client.retryCapS,
    );
  if (p.upstream.faultEndS > 0 && p.upstream.faultEndS <= p.upstream.faultStartS)
    throw new InputError(
      'upstream.faultEndS',
      `0 (never) or a time after upstream.faultStartS (${p.upstream.faultStartS})`,
      p.upstream.faultEndS,
    );
}

/** The design a strategy runs: its overrides over the configured switches. */
export function designOf(p: CacheStampedeParams, strategy: Strategy): Design {
  const o: { coalescing?: Design['coalescing']; breaker?: boolean; prewarm?: boolean } = STRATEGIES[strategy];
  return {
    coalescing: o.coalescing ?? p.cache.coalescing,
    breaker: o.breaker ?? p.breaker.enabled,
    prewarm: o.prewarm ?? p.prewarm.enabled,
  };
}

/** The envelope metrics of one configuration (names shared with the lab half of #20). */
export function metricsOf(r: RunResult, design: Design): Metrics {
  const ok = r.pulls.filter((x) => x.ok);
  const failedByCode: Record<string, number> = {};
  for (const x of r.pulls) if (!x.ok && x.code) failedByCode[x.code] = (failedByCode[x.code] ?? 0) + 1;
  const ends = ok.map((x) => x.startS + (x.pullS as number));
  const fetches = r.upstream.byObject.map((o) => o.requests);
  const errorsTotal = Object.values(r.errorsByCode).reduce((a, b) => a + b, 0);
  const sum = (f: (b: RunResult['breakers'][number]) => number) => r.breakers.reduce((a, b) => a + f(b), 0);
  return {
    design,
    // No quantiles of nothing: a run where every pull failed has no pull time (not 0 s).
    ...(ok.length > 0 && { pullS: quantiles(ok.map((x) => x.pullS as number)) }),
    pulls: { ok: ok.length, failed: r.pulls.length - ok.length, failedByCode },
    errors: { total: errorsTotal, byCode: r.errorsByCode },
    throttleEvents: r.upstream.throttled,
    upstream: {
      ...r.upstream,
      fetchesPerObject: { min: Math.min(...fetches), max: Math.max(...fetches) },
    },
    hydratedAtS: r.hydratedAtS,
    fleetDoneS: ends.length ? Math.max(...ends) : null,
    fleetReleasedS: r.fleetReleasedS,
    breaker: {
      trips: sum((b) => b.trips),
      probes: sum((b) => b.probes),
      rejected: sum((b) => b.rejected),
      sentAfterTrip: sum((b) => b.sentAfterTrip),
      clients: r.breakers,
    },
    imports: r.imports,
    servedFromCache: r.servedFromCache,
    staleServed: r.staleServed,
    joinedFetches: r.joined,
  };
}

export function runCacheStampede(p: CacheStampedeParams, seed: number, io: ModelIo): ModelResult {
  const strategies = p.strategies as Strategy[];
  // One arrival draw for every strategy: a paired comparison.
  const spread = arrivalOffsets(p, createRng(seed).fork(1));
  let events = 0;
  const points: Point[] = strategies.map((s, i) => {
    const design = designOf(p, s);
    const r = simulateCacheStampede(p, design, seed, s, spread);
    io.raw(r.pulls);
    io.raw(r.bins);
    events += r.events;
    io.progress(i + 1, strategies.length, 'strategies');
    return {
      label: s,
      params: {
        'cache.coalescing': design.coalescing,
        'breaker.enabled': design.breaker,
        'prewarm.enabled': design.prewarm,
      },
      metrics: metricsOf(r, design),
    };
  });
  const first = points[0] as Point;
  return {
    metrics: { ...first.metrics, strategy: first.label, imageBytes: totalBytes(p) },
    points,
    events,
  };
}

export function totalBytes(p: CacheStampedeParams): number {
  return p.image.manifestBytes + p.image.layers.reduce((a, b) => a + b, 0);
}

const f1 = (v: unknown) => (typeof v === 'number' ? v.toFixed(1) : '-');
const gib = (v: number) => `${(v / 2 ** 30).toFixed(2)} GiB`;

export function cacheStampedeTable(env: Envelope): string[] {
  const p = env.params as unknown as CacheStampedeParams;
  const lines = [
    `${p.nodes} nodes, image ${gib(totalBytes(p))} in ${p.image.layers.length} layers by ${p.image.reference}, ${p.cache.fronts} front(s), upstream ${p.upstream.rateLimit.enabled ? `${p.upstream.rateLimit.perMin}/min burst ${p.upstream.rateLimit.burst} (${p.upstream.rateLimit.scope})` : 'unlimited'}, fault ${p.upstream.fault}`,
    'strategy            pull P50 / P90 / P99 (s)    ok / failed   upstream GETs (manifest+blob) HEADs   bytes      429s  hydrated at  all done at  breaker trips',
  ];
  for (const pt of env.points) {
    const m = pt.metrics;
    const q = m.pullS as Quantiles | undefined;
    const pulls = m.pulls as { ok: number; failed: number };
    const up = m.upstream as {
      requests: { manifest: number; blob: number; head: number };
      bytes: number;
      throttled: number;
    };
    const br = m.breaker as { trips: number };
    lines.push(
      `${pt.label.padEnd(19)} ${`${f1(q?.p50)} / ${f1(q?.p90)} / ${f1(q?.p99)}`.padEnd(27)} ${`${pulls.ok} / ${pulls.failed}`.padEnd(13)} ${`${up.requests.manifest + up.requests.blob} (${up.requests.manifest}+${up.requests.blob})`.padEnd(29)} ${String(up.requests.head).padEnd(7)} ${gib(up.bytes).padEnd(10)} ${String(up.throttled).padEnd(5)} ${(m.hydratedAtS === null ? 'never' : `${f1(m.hydratedAtS)} s`).padEnd(12)} ${(m.fleetDoneS === null ? '-' : `${f1(m.fleetDoneS)} s`).padEnd(12)} ${br.trips}`,
    );
  }
  const failed = env.points.filter((pt) => (pt.metrics.pulls as { failed: number }).failed > 0);
  for (const pt of failed)
    lines.push(
      `${pt.label}: failed pulls by code ${JSON.stringify((pt.metrics.pulls as { failedByCode: unknown }).failedByCode)}`,
    );
  return lines;
}

export const cacheStampedeModel = defineModel({
  name: 'cache-stampede',
  summary: 'Pull-through cache stampede: coalescing, upstream rate limits, circuit breaking, pre-warm',
  help: [
    'N nodes pull an image that only the upstream has, through a pull-through cache (ACR Artifact Cache:',
    'serve now, hydrate for later). A miss streams from the upstream while an async import job hydrates',
    'the cache on cache.hydrationWorkers workers. Coalescing off (every miss goes upstream), per-front or',
    'global (concurrent misses of one digest share one fetch). The upstream has latency, bandwidth,',
    'faults (slow, 5xx, down) and a token bucket (per client or global) answering 429 + Retry-After;',
    'nodes retry with the kubelet-like back-off; a breaker per upstream client opens after K failures',
    'in W s and probes once per openS. Pre-warm: one pull, wait for the hydration webhook, then the fleet.',
    'One point per strategy (strategies=...); prints pull quantiles, upstream requests, bytes, 429s,',
    'time to hydrated and failed pulls by code.',
    '',
    'Examples:',
    '  stampede sim cache-stampede',
    '  stampede sim cache-stampede --set nodes=1000 --set upstream.rateLimit.perMin=100 --set upstream.rateLimit.burst=100',
    '  stampede sim cache-stampede --set upstream.fault=down --set upstream.faultStartS=60 --set strategies=per-front+breaker',
    '  stampede sim cache-stampede --preset docker-hub-5000  (the README what-if: 5,000 nodes, 10 GiB)',
  ].join('\n'),
  schema: cacheStampedeSchema,
  validate: (p) => validateCacheStampede(p),
  run: (p, seed, io) => runCacheStampede(p, seed, io),
  table: cacheStampedeTable,
  charts: [cacheStampedeUpstreamChart, cacheStampedeTimelineChart],
});
