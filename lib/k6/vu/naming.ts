/**
 * Secret-safe request names and tags. k6 tags every request with its URL (`url`, and `name`
 * unless given) and writes tags into raw results; a storage redirect's URL carries a signature
 * (SAS) and a URL may carry user:password. So every request the library sends is named by its
 * URL without credentials, query or fragment, and scenarios turn k6's `url` tag off.
 */
import type { VuHttp, VuParams, VuRequest } from './http';

/** A URL fit for results: no user-info, no query, no fragment. */
export function safeUrl(url: string): string {
  return url.replace(/[?#].*$/s, '').replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

/** Every built-in tag but `url` (it would record a redirect's signature); `ip` is kept too (off by default in k6). */
export const SAFE_SYSTEM_TAGS = [
  'proto',
  'subproto',
  'status',
  'method',
  'name',
  'group',
  'check',
  'error',
  'error_code',
  'tls_version',
  'scenario',
  'service',
  'expected_response',
  // The address the request went to: which region's front the DNS answered (the report's region chart).
  'ip',
];

function named(url: string, p: VuParams | undefined): VuParams {
  const tags = p?.tags ?? {};
  return { ...p, tags: { ...tags, name: safeUrl(tags.name ?? url) } };
}

/** Wraps http so every request carries a safe `name` tag (a caller's own name is made safe too). */
export function withSafeNames(http: VuHttp): VuHttp {
  return {
    request: (m, u, b, p) => http.request(m, u, b, named(u, p)),
    batch: (rs: VuRequest[]) => http.batch(rs.map((r) => ({ ...r, params: named(r.url, r.params) }))),
  };
}
