/**
 * The cache-stampede run's own metrics, under the names the simulator's cache-stampede uses:
 * from the lab, what reached the upstream during the run (`upstream.requests` by kind,
 * `upstream.bytes`, `upstream.throttled`), the breaker and the hydration (`hydratedAtS`);
 * from k6's records, pulls and errors per wave (one point each).
 */
import type { CacheStatus } from '../../lab/cache/runtime';
import type { Metrics, Point } from '../../results/envelope';
import { collectMetrics } from '../collect';

export type UpstreamCounters = NonNullable<CacheStatus['upstream']>['counters'];

export interface UpstreamDelta {
  requests: { manifest: number; blob: number; manifestGets: number };
  bytes: number;
  throttled: number;
  errors5xx: number;
  dropped: number;
}

export function upstreamDelta(after: UpstreamCounters, before: UpstreamCounters): UpstreamDelta {
  return {
    requests: {
      manifest: after.requests.manifest - before.requests.manifest,
      blob: after.requests.blob - before.requests.blob,
      manifestGets: after.manifestGets - before.manifestGets,
    },
    bytes: after.bytes.manifest + after.bytes.blob - (before.bytes.manifest + before.bytes.blob),
    throttled:
      after.throttled.manifest + after.throttled.blob - (before.throttled.manifest + before.throttled.blob),
    errors5xx: after.errors5xx - before.errors5xx,
    dropped: after.dropped - before.dropped,
  };
}

/** The records of one k6 scenario (wave1, wave2) by k6's `scenario` tag. */
export function waveRecords(records: readonly unknown[], scenario: string): unknown[] {
  return records.filter((r) => {
    const tags = (r as { data?: { tags?: Record<string, string> } }).data?.tags;
    return tags?.scenario === scenario;
  });
}

export interface WaveInput {
  records: readonly unknown[];
  waves: number;
  params: Record<string, unknown>;
  /** Upstream counters before the burst, at the gate between waves (waves=2), after the run. */
  before: UpstreamCounters;
  split?: UpstreamCounters;
  after: UpstreamCounters;
}

/** One point per wave: its pulls, errors and pull times from k6, its upstream traffic from the lab. */
export function wavePoints(i: WaveInput): Point[] {
  const points: Point[] = [];
  const waves = i.waves === 2 ? ['wave1', 'wave2'] : ['wave1'];
  for (const w of waves) {
    const m = collectMetrics(waveRecords(i.records, w));
    const from = w === 'wave2' ? (i.split ?? i.after) : i.before;
    const to = w === 'wave1' && i.split ? i.split : i.after;
    const up = upstreamDelta(to, from);
    const metrics: Metrics = {
      pulls: m.pulls,
      errors: m.errors,
      ...(m.pullS ? { pullS: m.pullS } : {}),
      upstream: { requests: up.requests, bytes: up.bytes, throttled: up.throttled },
    };
    points.push({
      label: w === 'wave1' ? 'cold (wave 1)' : 'hydrated (wave 2, by digest)',
      params: i.params,
      metrics,
    });
  }
  return points;
}
