/**
 * Pushes whose every sub-request is watched: which address answered it and when it was
 * sent, so a push whose requests reached more than one replica is seen as such, not only
 * guessed from its error code. Also the DNS pin: resolve the registry's name once (k6's own
 * request through its own resolver, read back as the response's remote_ip) and send the
 * rest of the push to that address with the name in the Host header. Built on push.ts and
 * token.ts; nothing here reads __ENV or imports k6, so it runs under vitest with a fake http.
 */

import type { RegistryCredentials } from '../../oci/token-flow';
import { codeOf, PullError } from './errors';
import type { Body, VuHttp, VuParams, VuResponse } from './http';
import { type PushBlob, pushImage } from './push';
import { type Access, bearer, registryToken } from './token';

/** The request steps that make up a push (upload.ts tags them so). */
export const PUSH_STEPS: ReadonlySet<string> = new Set([
  'upload-start',
  'upload-chunk',
  'upload',
  'manifest-put',
]);

export interface SubRequest {
  step: string;
  /** When it was sent, ms (the injected clock). */
  atMs: number;
  /** The address that answered (k6's remote_ip; '' when none did). */
  remote: string;
  status: number;
}

/** The address a k6 response came from ('' for a fake or a failed dial). */
export function remoteOf(res: VuResponse): string {
  const r = (res as VuResponse & { remote_ip?: unknown }).remote_ip;
  return typeof r === 'string' ? r : '';
}

/** Records every request (step from its tag) into `log`; batches are not used by pushes. */
export function watched(http: VuHttp, now: () => number, log: SubRequest[]): VuHttp {
  return {
    request(m, u, b, p) {
      const atMs = now();
      const res = http.request(m, u, b, p);
      log.push({ step: p?.tags?.step ?? 'other', atMs, remote: remoteOf(res), status: res.status });
      return res;
    },
    batch: (rs) => http.batch(rs),
  };
}

/**
 * Every request to `origin` (scheme://host[:port]) goes to `address` instead, keeping the
 * name in the Host header: a DNS pin. Over http only: over https the certificate would be
 * checked against the address, so the run refuses dns-pin for an https target.
 */
export function pinned(http: VuHttp, origin: string, address: string): VuHttp {
  // No URL class in k6's runtime: scheme://host[:port] by hand.
  const m = /^(https?:)\/\/([^/:?#]+|\[[^\]]+\])(:\d+)?$/i.exec(origin);
  if (!m) throw new PullError('PIN_FAILED', `cannot pin ${origin}: not scheme://host[:port]`);
  const to = `${m[1]}//${address.includes(':') ? `[${address}]` : address}${m[3] ?? ''}`;
  const host = `${m[2]}${m[3] ?? ''}`;
  const lower = origin.toLowerCase();
  const rewrite = (url: string, p?: VuParams): [string, VuParams] => {
    const hit = url.toLowerCase().startsWith(lower) && /^($|[/?#])/.test(url.slice(origin.length));
    return hit
      ? [to + url.slice(origin.length), { ...p, headers: { ...(p?.headers ?? {}), Host: host } }]
      : [url, p ?? {}];
  };
  return {
    request(m, url, b: Body, p) {
      const [target, params] = rewrite(url, p);
      return http.request(m, target, b, params);
    },
    batch: (rs) =>
      http.batch(
        rs.map((r) => {
          const [url, params] = rewrite(r.url, r.params);
          return { ...r, url, params };
        }),
      ),
  };
}

export interface PushSpec {
  base: string;
  repo: string;
  tag: string;
  config: PushBlob;
  layers: PushBlob[];
  creds: RegistryCredentials;
  /** Bytes per PATCH (0: monolithic). */
  chunkSize?: number;
  /** sha256 hex of a string: the manifest digest the registry must answer with. */
  sha256hex(text: string): string;
}

export interface PushAttempt {
  ok: boolean;
  /** The first error's code (OCI code, or the library's own). */
  code?: string;
  message?: string;
  /** Distinct addresses that answered the push's own sub-requests (uploads, manifest). */
  replicas: string[];
  /** The push's sub-requests reached more than one replica. */
  scattered: boolean;
  /** First to last push sub-request sent, ms. */
  spanMs: number;
  subRequests: SubRequest[];
}

/**
 * One push attempt: the token flow, every blob (config first) and the manifest, stopping at
 * the first error. Success means every sub-request succeeded and the registry answered the
 * manifest's own digest: a push that failed midway is never a success.
 */
export function pushAttempt(http: VuHttp, s: PushSpec, now: () => number): PushAttempt {
  const log: SubRequest[] = [];
  const w = watched(http, now, log);
  let code: string | undefined;
  let message: string | undefined;
  try {
    const access: Access[] = [{ repo: s.repo, actions: ['pull', 'push'] }];
    const auth = bearer(registryToken(w, s.base, s.creds, access));
    pushImage(w, { ...s, auth, chunkSize: s.chunkSize ?? 0 });
  } catch (e) {
    code = codeOf(e);
    message = (e as Error).message;
  }
  const own = log.filter((r) => PUSH_STEPS.has(r.step));
  const replicas = [...new Set(own.map((r) => r.remote).filter(Boolean))];
  const first = own[0]?.atMs ?? 0;
  const last = own[own.length - 1]?.atMs ?? first;
  return {
    ok: code === undefined,
    ...(code !== undefined && { code, message }),
    replicas,
    scattered: replicas.length > 1,
    spanMs: last - first,
    subRequests: log,
  };
}

/**
 * The address the registry's name resolves to now, by asking through k6's own resolver:
 * GET /v2/ (any answer will do, a 401 included) and read where it came from.
 */
export function resolveOnce(http: VuHttp, base: string): string {
  const res = http.request('GET', `${base}/v2/`, null, { tags: { step: 'pin' } });
  const ip = remoteOf(res);
  if (!ip)
    throw new PullError(
      'PIN_FAILED',
      `GET /v2/ to pin the push: ${res.status ? 'no remote address' : res.error || 'no response'}`,
    );
  return ip;
}
