/**
 * Which address family each request used, from the peer address k6 connected to (its
 * response's `remote_ip`): the dual-stack scenarios record it per request and per pull, so
 * a run with `dns.policy` preferIPv6 shows what it actually did rather than what it asked for.
 * A request that never connected (refused, DNS failure) has no peer: family `none`.
 */
import type { Body, VuHttp, VuParams, VuRequest, VuResponse } from './http';

export type Family = 'ipv4' | 'ipv6' | 'none';
/** A pull's family: the one all of its connected requests used, `mixed` if both, `none` if neither. */
export type PullFamily = Family | 'mixed';

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is an IPv4 connection. */
export function familyOf(ip: string | undefined): Family {
  if (!ip) return 'none';
  const bare = ip.replace(/^\[|\]$/g, '');
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(bare)) return 'ipv4';
  if (bare.includes(':')) return 'ipv6';
  return /^\d+\.\d+\.\d+\.\d+$/.test(bare) ? 'ipv4' : 'none';
}

/** Registry API or the storage hop a blob's 307 points to (distinguished by path: only the API has /v2/). */
export function hopOf(url: string): 'registry' | 'storage' {
  return /^[a-z]+:\/\/[^/]+\/(v2\/|v2$|oauth2\/|acr\/)/i.test(url) ? 'registry' : 'storage';
}

export interface FamilyRequest {
  family: Family;
  hop: 'registry' | 'storage';
  /** false when k6 made no connection or got no answer (status 0). */
  connected: boolean;
  durationMs: number;
}

export interface FamilyTracker {
  http: VuHttp;
  /** The family of the requests since the last call (one pull), then starts over. */
  take(): PullFamily;
}

/** Wraps http so every response's family is reported to `onRequest` and tallied for the current pull. */
export function withFamily(http: VuHttp, onRequest: (r: FamilyRequest) => void = () => {}): FamilyTracker {
  const seen = new Set<Family>();
  const note = (url: string, res: VuResponse) => {
    const family = familyOf(res.remote_ip);
    seen.add(family);
    onRequest({ family, hop: hopOf(url), connected: res.status !== 0, durationMs: res.timings.duration });
    return res;
  };
  return {
    http: {
      request: (m: string, u: string, b: Body, p?: VuParams) => note(u, http.request(m, u, b, p)),
      batch: (rs: VuRequest[]) => http.batch(rs).map((res, i) => note(rs[i]?.url ?? '', res)),
    },
    take() {
      const v4 = seen.has('ipv4');
      const v6 = seen.has('ipv6');
      seen.clear();
      return v4 && v6 ? 'mixed' : v4 ? 'ipv4' : v6 ? 'ipv6' : 'none';
    },
  };
}
