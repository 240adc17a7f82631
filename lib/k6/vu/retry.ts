/**
 * Retry with back-off as a wrapper around http (undici's interceptor style): a request
 * answered 429 or 503 is sent again, at most `maxRetries` times, after the Retry-After it was
 * given or an exponential back-off, jittered so a crowd of VUs does not come back in step.
 * Every throttling answer (429, storage 503 ServerBusy) is reported to `onThrottle`; a 503
 * that is not throttling (a region that is down) is retried as well but left to the caller
 * as an error with its own code once retries run out.
 */
import { headerOf, isThrottle } from '../../oci/error-body';
import type { VuHttp, VuParams, VuRequest, VuResponse } from './http';

export interface RetryPolicy {
  maxRetries: number;
  /** First back-off in seconds, doubled per attempt (default 0.25). */
  baseS?: number;
  /** Longest single wait in seconds (default 8). */
  maxS?: number;
  sleep(seconds: number): void;
  /** Uniform in [0,1): the jitter. */
  random(): number;
  /** Each throttling answer, with the request's `step` tag. */
  onThrottle?(status: number, step: string): void;
}

export const retryable = (res: VuResponse): boolean => res.status === 429 || res.status === 503;

/** Seconds to wait before attempt `attempt + 1`: Retry-After when the server gave one. */
export function backoffS(res: VuResponse, attempt: number, p: RetryPolicy): number {
  const ra = Number(headerOf(res.headers, 'Retry-After'));
  return Number.isFinite(ra) && ra > 0 ? ra : (p.baseS ?? 0.25) * 2 ** attempt;
}

const stepOf = (params: VuParams | undefined) => params?.tags?.step ?? 'other';

export function withRetry(http: VuHttp, p: RetryPolicy): VuHttp {
  const note = (res: VuResponse, params: VuParams | undefined) => {
    if (isThrottle(res)) p.onThrottle?.(res.status, stepOf(params));
  };
  const pause = (s: number) => p.sleep(Math.min(p.maxS ?? 8, s) * (0.5 + p.random()));
  return {
    request(method, url, body, params) {
      let res = http.request(method, url, body, params);
      for (let attempt = 0; retryable(res) && attempt < p.maxRetries; attempt++) {
        note(res, params);
        pause(backoffS(res, attempt, p));
        res = http.request(method, url, body, params);
      }
      note(res, params);
      return res;
    },
    batch(requests: VuRequest[]) {
      const out = http.batch(requests);
      let pending = out.map((_, k) => k).filter((k) => retryable(out[k] as VuResponse));
      for (let attempt = 0; pending.length > 0 && attempt < p.maxRetries; attempt++) {
        let wait = 0;
        for (const k of pending) {
          note(out[k] as VuResponse, requests[k]?.params);
          wait = Math.max(wait, backoffS(out[k] as VuResponse, attempt, p));
        }
        pause(wait);
        const again = http.batch(pending.map((k) => requests[k] as VuRequest));
        pending.forEach((k, i) => {
          out[k] = again[i] as VuResponse;
        });
        pending = pending.filter((k) => retryable(out[k] as VuResponse));
      }
      for (const k of pending) note(out[k] as VuResponse, requests[k]?.params);
      return out;
    },
  };
}
