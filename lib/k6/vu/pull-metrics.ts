/**
 * The metrics a pull scenario writes, under the names lib/k6/collect.ts reads (the contract
 * between a k6 run's raw output and its result envelope). k6's metric classes come in as
 * arguments: the library does not import k6, and unit tests pass recording fakes.
 */
import type { FamilyRequest } from './family';
import type { PullHooks } from './pull';

interface Metric {
  add(value: number, tags?: Record<string, string>): void;
}
export interface MetricClasses {
  Counter: new (name: string) => Metric;
  Trend: new (name: string, isTime?: boolean) => Metric;
}

export interface PullRecorder {
  hooks: PullHooks;
  throttled(status: number, what: string): void;
  /** `tags` (e.g. the pull's address family) go on the pull's duration, throughput and count. */
  ok(ms: number, bytes: number, tags?: Record<string, string>): void;
  failed(code: string, tags?: Record<string, string>): void;
  /** One request's address family, hop and duration (vu/family.ts), as metric `family_req`. */
  familyRequest(r: FamilyRequest): void;
}

export function pullRecorder({ Counter, Trend }: MetricClasses): PullRecorder {
  const pullDuration = new Trend('pull_duration', true);
  const layerDuration = new Trend('layer_duration', true);
  const pullBytesPerS = new Trend('pull_bytes_per_s');
  const pulls = new Counter('pulls');
  const layerBytes = new Counter('layer_bytes');
  const throttled = new Counter('throttled');
  const errors = new Counter('errors');
  const tokenRequests = new Counter('token_requests');
  const redirects = new Counter('blob_redirects');
  const familyReq = new Trend('family_req', true);
  return {
    hooks: {
      tokenRequest: () => tokenRequests.add(1),
      redirect: () => redirects.add(1),
      blob: (ms, kind, size) => {
        layerBytes.add(size);
        // The size tag lets the report draw throughput per layer size (size / duration).
        layerDuration.add(ms, { kind, size: String(size) });
      },
    },
    throttled: (status, what) => throttled.add(1, { code: String(status), what }),
    ok(ms, bytes, tags = {}) {
      pullDuration.add(ms, tags);
      pullBytesPerS.add(ms > 0 ? (bytes * 1000) / ms : 0, tags);
      pulls.add(1, { ...tags, result: 'ok' });
    },
    failed(code, tags = {}) {
      errors.add(1, { ...tags, code });
      pulls.add(1, { ...tags, result: 'failed' });
    },
    familyRequest: (r) =>
      familyReq.add(r.durationMs, { family: r.family, hop: r.hop, connected: r.connected ? 'yes' : 'no' }),
  };
}
