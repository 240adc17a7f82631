/**
 * Registry auth added by wrapping fetch (undici's interceptor style): a request that
 * comes back 401 with a Bearer challenge gets a token through the token flow and is sent
 * once more. Tokens are cached per repository (and per scope set) until shortly before
 * they expire. Bodies must be re-sendable (strings, bytes): what pushImage sends.
 *
 * Blob GETs that answer 307 are followed by fetch itself; fetch drops Authorization on a
 * cross-origin redirect, so the token never reaches a storage backend.
 */
import { StampedeError } from '../errors';
import { type BearerChallenge, bearerChallenge } from './challenge';
import { ociErrorCode } from './error-body';
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

/**
 * A token or exchange request the registry refused: `code` is the stable REGISTRY_AUTH_FAILED,
 * `registryCode` what the registry said (its OCI error code, or HTTP_<status>).
 */
export class RegistryAuthError extends StampedeError {
  readonly status: number;
  readonly registryCode: string;
  constructor(registryCode: string, status: number, message: string) {
    super('REGISTRY_AUTH_FAILED', message);
    this.status = status;
    this.registryCode = registryCode;
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

/**
 * Sends a token-flow request (token, exchange) and returns the body of its 200: the one
 * place Node code posts to a token endpoint. `what` names the step in the error.
 */
export async function sendTokenRequest(f: FetchLike, r: TokenRequest, what?: string): Promise<string> {
  const res = await f(r.url, { method: r.method, headers: r.headers, ...(r.body ? { body: r.body } : {}) });
  const text = await res.text();
  if (res.status !== 200) {
    const code = ociErrorCode(text) ?? `HTTP_${res.status}`;
    const where = `${r.method} ${new URL(r.url).host}${new URL(r.url).pathname}`;
    throw new RegistryAuthError(
      code,
      res.status,
      `${what ? `${what} (${where})` : where}: HTTP ${res.status} [${code}]`,
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
      const text = await sendTokenRequest(
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
    const parsed = parseTokenResponse(await sendTokenRequest(f, tokenRequest(ch, await flowCreds(ch))));
    if (!parsed) throw new RegistryAuthError('UNAUTHORIZED', 200, 'token endpoint answered without a token');
    // Renew a little early: a token that expires mid-upload fails the whole push.
    tokens.set(key, { token: parsed.token, until: Date.now() + Math.max(1, parsed.expiresIn - 10) * 1000 });
    return f(url, withToken(parsed.token));
  }) as AuthFetch;
  wrapped.stats = stats;
  return wrapped;
}
