/**
 * The metrics a pull scenario writes, under the names lib/k6/collect.ts reads (the contract
 * between a k6 run's raw output and its result envelope). k6's metric classes come in as
 * arguments: the library does not import k6, and unit tests pass recording fakes.
 */
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
  ok(ms: number, bytes: number): void;
  failed(code: string): void;
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
    ok(ms, bytes) {
      pullDuration.add(ms);
      pullBytesPerS.add(ms > 0 ? (bytes * 1000) / ms : 0);
      pulls.add(1, { result: 'ok' });
    },
    failed(code) {
      errors.add(1, { code });
      pulls.add(1, { result: 'failed' });
    },
  };
}
