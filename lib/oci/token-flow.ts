/**
 * The registry token flow as request descriptions, so Node (fetch) and k6 (http) share it:
 *   - ACR refresh token:  POST <realm> grant_type=refresh_token&service&scope&refresh_token
 *   - ACR AAD exchange:   POST <realm host>/oauth2/exchange grant_type=access_token&service&access_token
 *   - username/password:  GET  <realm>?service&scope with Basic auth (docker's token auth)
 *   - anonymous:          GET  <realm>?service&scope
 * Pure and dependency-free (no Buffer, no btoa): the k6 scenarios bundle it.
 */
import type { BearerChallenge } from './challenge';

export type RegistryCredentials =
  | { kind: 'anonymous' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'refresh'; refreshToken: string };

export interface TokenRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
  headers: Record<string, string>;
}

const FORM = 'application/x-www-form-urlencoded';

/** application/x-www-form-urlencoded without URLSearchParams (k6's goja runtime lacks it). */
export function formEncode(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%20/g, '+')}`)
    .join('&');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function utf8(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/** Base64 of a string's UTF-8 bytes (for Basic auth), with no platform dependency. */
export function base64(text: string): string {
  const bytes = utf8(text);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i] as number, bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += B64[(n >> 18) & 63];
    out += B64[(n >> 12) & 63];
    out += b === undefined ? '=' : B64[(n >> 6) & 63];
    out += c === undefined ? '=' : B64[n & 63];
  }
  return out;
}

export function tokenRequest(
  ch: BearerChallenge,
  creds: RegistryCredentials,
  scopes?: string[],
): TokenRequest {
  const scope = (scopes ?? ch.scopes).join(' ');
  if (creds.kind === 'refresh') {
    return {
      method: 'POST',
      url: ch.realm,
      headers: { 'content-type': FORM },
      body: formEncode({
        grant_type: 'refresh_token',
        service: ch.service,
        scope: scope || undefined,
        refresh_token: creds.refreshToken,
      }),
    };
  }
  const query = formEncode({ service: ch.service, scope: scope || undefined });
  const url = query ? `${ch.realm}${ch.realm.includes('?') ? '&' : '?'}${query}` : ch.realm;
  const headers: Record<string, string> =
    creds.kind === 'basic' ? { authorization: `Basic ${base64(`${creds.username}:${creds.password}`)}` } : {};
  return { method: 'GET', url, headers };
}

/** ACR's /oauth2/exchange lives beside the token realm. */
export function exchangeUrl(realm: string): string {
  return realm.replace(/\/oauth2\/token(\?.*)?$/, '/oauth2/exchange');
}

export function exchangeRequest(
  realmOrRegistry: string,
  service: string,
  aadAccessToken: string,
  tenant?: string,
): TokenRequest {
  const url = /\/oauth2\/token/.test(realmOrRegistry)
    ? exchangeUrl(realmOrRegistry)
    : `${realmOrRegistry.replace(/\/$/, '')}/oauth2/exchange`;
  return {
    method: 'POST',
    url,
    headers: { 'content-type': FORM },
    body: formEncode({ grant_type: 'access_token', service, tenant, access_token: aadAccessToken }),
  };
}

export interface TokenResponse {
  token: string;
  /** Seconds; registries that omit it mean 60 (distribution's token spec). */
  expiresIn: number;
  refreshToken?: string;
}

/** Parses /oauth2/token (access_token or docker's `token`) and /oauth2/exchange bodies. */
export function parseTokenResponse(text: string): TokenResponse | null {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof j !== 'object' || j === null) return null;
  const token = j.access_token ?? j.token ?? j.refresh_token;
  if (typeof token !== 'string' || token === '') return null;
  return {
    token,
    expiresIn: typeof j.expires_in === 'number' ? j.expires_in : 60,
    ...(typeof j.refresh_token === 'string' ? { refreshToken: j.refresh_token } : {}),
  };
}
