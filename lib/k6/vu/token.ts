/**
 * The registry token flow for one set of repository scopes: GET /v2/ -> 401 Bearer
 * challenge -> token request (refresh token POST, or GET with Basic / anonymous) -> a token
 * for exactly the repositories and actions asked for (per-repository scopes, as containerd
 * asks: repository:<repo>:pull, or :pull,push to push).
 */
import { bearerChallenge, repoScope } from '../../oci/challenge';
import { responseErrorCode } from '../../oci/error-body';
import { parseTokenResponse, type RegistryCredentials, tokenRequest } from '../../oci/token-flow';
import { failed, PullError } from './errors';
import { outcome, type VuHttp } from './http';

export interface Access {
  repo: string;
  actions: string[];
}

export const scopesFor = (access: Access[]): string[] => access.map((a) => repoScope(a.repo, a.actions));

/**
 * A bearer token for `access` at `base`, or null for a registry without auth (its /v2/
 * answers 200). `onTokenRequest` is called for each token request sent.
 */
export function registryToken(
  http: VuHttp,
  base: string,
  creds: RegistryCredentials,
  access: Access[],
  onTokenRequest?: () => void,
): string | null {
  const ping = http.request('GET', `${base}/v2/`, null, { tags: { step: 'ping' } });
  if (ping.status === 200) return null;
  const ch =
    ping.status === 401
      ? bearerChallenge(ping.headers['Www-Authenticate'] ?? ping.headers['www-authenticate'])
      : null;
  if (!ch)
    throw new PullError(
      responseErrorCode(ping),
      `GET /v2/: ${outcome(ping)}${ping.status ? ' without a Bearer challenge' : ''}`,
    );
  onTokenRequest?.();
  const r = tokenRequest(ch, creds, scopesFor(access));
  const res = http.request(r.method, r.url, r.body ?? null, { headers: r.headers, tags: { step: 'token' } });
  const parsed = res.status === 200 ? parseTokenResponse(String(res.body)) : null;
  if (!parsed) throw failed('token request', res);
  return parsed.token;
}

export const bearer = (token: string | null): Record<string, string> =>
  token ? { authorization: `Bearer ${token}` } : {};
