/**
 * Which region answered: the lab's fronts (and any registry behind a proxy that says so)
 * name themselves in a response header. A wrapper, like withRetry: it remembers the last
 * value seen, so a pull that went through the global name can say where Traffic Manager
 * sent it. Storage hops (307 targets) carry no such header and leave the value alone.
 */
import type { VuHttp, VuResponse } from './http';

export const REGION_HEADER = 'X-Stampede-Region';

export interface ServedBy {
  http: VuHttp;
  /** The region named by the last response that named one since reset(); undefined: none. */
  region(): string | undefined;
  reset(): void;
}

/** k6 canonicalises header names (X-Stampede-Region); a fake may not: look both ways. */
function headerOf(res: VuResponse, name: string): string | undefined {
  const direct = res.headers?.[name];
  if (direct) return direct;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(res.headers ?? {})) if (k.toLowerCase() === lower && v) return v;
  return undefined;
}

export function withServedBy(inner: VuHttp, header = REGION_HEADER): ServedBy {
  let last: string | undefined;
  const seen = (res: VuResponse) => {
    const v = headerOf(res, header);
    if (v) last = v;
    return res;
  };
  return {
    http: {
      request: (m, u, b, p) => seen(inner.request(m, u, b, p)),
      batch: (reqs) => inner.batch(reqs).map(seen),
    },
    region: () => last,
    reset: () => {
      last = undefined;
    },
  };
}
