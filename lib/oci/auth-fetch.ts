/**
 * Registry auth added by wrapping fetch (undici's interceptor style): a request that
 * comes back 401 with a Bearer challenge gets a token through the token flow and is sent
 * once more. Tokens are cached per repository (and per scope set) until shortly before
 * they expire. Bodies must be re-sendable (strings, bytes): what pushImage sends.
 *
 * Blob GETs that answer 307 are followed by fetch itself; fetch drops Authorization on a
 * cross-origin redirect, so the token never reaches a storage backend.
 */
import { type BearerChallenge, bearerChallenge } from './challenge';
import type { FetchLike } from './push';
import {
  exchangeRequest,
  parseTokenResponse,
  type RegistryCredentials,
  type TokenRequest,
  tokenRequest,
} from './token-flow';

export type AuthCredentials =
  | RegistryCredentials
  /** Azure AD: an AAD access token (audience containerregistry) exchanged at /oauth2/exchange. */
  | { kind: 'aad'; aadToken: () => Promise<string>; tenant?: string };

export class RegistryAuthError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = 'RegistryAuthError';
    this.code = code;
    this.status = status;
  }
}

export interface AuthFetchStats {
  challenges: number;
  tokenRequests: number;
  exchanges: number;
}

export type AuthFetch = FetchLike & { stats: AuthFetchStats };

const repoOf = (url: string) =>
  /\/v2\/(.+?)\/(?:blobs|manifests|tags|referrers)\//.exec(new URL(url).pathname)?.[1];

async function send(f: FetchLike, r: TokenRequest): Promise<string> {
  const res = await f(r.url, { method: r.method, headers: r.headers, ...(r.body ? { body: r.body } : {}) });
  const text = await res.text();
  if (res.status !== 200) {
    let code = 'UNAUTHORIZED';
    try {
      code = (JSON.parse(text) as { errors?: Array<{ code?: string }> }).errors?.[0]?.code ?? code;
    } catch {
      // not an OCI error body
    }
    throw new RegistryAuthError(
      code,
      res.status,
      `${r.method} ${new URL(r.url).pathname}: HTTP ${res.status}`,
    );
  }
  return text;
}

export function withRegistryAuth(f: FetchLike, creds: AuthCredentials): AuthFetch {
  const stats: AuthFetchStats = { challenges: 0, tokenRequests: 0, exchanges: 0 };
  const tokens = new Map<string, { token: string; until: number }>();
  let refresh: { token: string; until: number } | null =
    creds.kind === 'refresh' ? { token: creds.refreshToken, until: Number.POSITIVE_INFINITY } : null;

  const flowCreds = async (ch: BearerChallenge): Promise<RegistryCredentials> => {
    if (creds.kind !== 'aad') return creds;
    if (!refresh || refresh.until < Date.now()) {
      stats.exchanges++;
      const aad = await creds.aadToken();
      const text = await send(
        f,
        exchangeRequest(ch.realm, ch.service ?? new URL(ch.realm).host, aad, creds.tenant),
      );
      const parsed = parseTokenResponse(text);
      if (!parsed?.refreshToken && !parsed?.token)
        throw new RegistryAuthError('UNAUTHORIZED', 200, 'exchange answered without a refresh_token');
      refresh = { token: parsed.refreshToken ?? parsed.token, until: Date.now() + 50 * 60_000 };
    }
    return { kind: 'refresh', refreshToken: refresh.token };
  };

  const wrapped = (async (url: string, init: RequestInit = {}) => {
    const key = repoOf(url) ?? '';
    const cached = tokens.get(key);
    // fetch sets Content-Length from the body itself; a caller's copy can end up doubled
    // ("n, n") when the headers are re-wrapped, which undici rejects.
    const base = new Headers(init.headers);
    base.delete('content-length');
    const withToken = (token: string): RequestInit => {
      const headers = new Headers(base);
      headers.set('authorization', `Bearer ${token}`);
      return { ...init, headers };
    };
    const first = await f(
      url,
      cached && cached.until > Date.now() ? withToken(cached.token) : { ...init, headers: base },
    );
    if (first.status !== 401) return first;
    const ch = bearerChallenge(first.headers.get('www-authenticate'));
    if (!ch) return first;
    await first.arrayBuffer().catch(() => undefined);
    stats.challenges++;
    stats.tokenRequests++;
    const parsed = parseTokenResponse(await send(f, tokenRequest(ch, await flowCreds(ch))));
    if (!parsed) throw new RegistryAuthError('UNAUTHORIZED', 200, 'token endpoint answered without a token');
    // Renew a little early: a token that expires mid-upload fails the whole push.
    tokens.set(key, { token: parsed.token, until: Date.now() + Math.max(1, parsed.expiresIn - 10) * 1000 });
    return f(url, withToken(parsed.token));
  }) as AuthFetch;
  wrapped.stats = stats;
  return wrapped;
}
