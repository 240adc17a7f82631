/**
 * Registry credentials for VUs. Resolved once in setup() where a login is needed (Azure AD
 * client credentials -> access token -> /oauth2/exchange -> ACR refresh token), then each VU
 * uses the refresh token, a username and password, or nothing. Settings come in as
 * arguments (the entry script reads its environment, the library never does).
 */
import { bearerChallenge } from '../../oci/challenge';
import {
  exchangeRequest,
  formEncode,
  parseTokenResponse,
  type RegistryCredentials,
} from '../../oci/token-flow';
import { failed, PullError } from './errors';
import { outcome, type VuHttp } from './http';

export interface AadClient {
  clientId: string;
  clientSecret: string;
  tenant?: string;
  /** Default https://login.microsoftonline.com. */
  authority?: string;
  /** Default https://containerregistry.azure.net. */
  audience?: string;
}

export interface CredentialSettings {
  refreshToken?: string;
  /** An Azure AD access token for the registry audience, exchanged at /oauth2/exchange. */
  aadToken?: string;
  aad?: AadClient;
  /** The tenant sent with the exchange. */
  tenant?: string;
  username?: string;
  password?: string;
}

/** The STAMPEDE_* credential variables of an environment record (the entry passes __ENV). */
export function credentialSettings(env: Record<string, string | undefined>): CredentialSettings {
  const s: CredentialSettings = {};
  if (env.STAMPEDE_REFRESH_TOKEN) s.refreshToken = env.STAMPEDE_REFRESH_TOKEN;
  if (env.STAMPEDE_AAD_TOKEN) s.aadToken = env.STAMPEDE_AAD_TOKEN;
  if (env.STAMPEDE_AAD_TENANT) s.tenant = env.STAMPEDE_AAD_TENANT;
  if (env.STAMPEDE_AAD_CLIENT_ID && env.STAMPEDE_AAD_CLIENT_SECRET)
    s.aad = {
      clientId: env.STAMPEDE_AAD_CLIENT_ID,
      clientSecret: env.STAMPEDE_AAD_CLIENT_SECRET,
      ...(env.STAMPEDE_AAD_TENANT ? { tenant: env.STAMPEDE_AAD_TENANT } : {}),
      ...(env.STAMPEDE_AAD_AUTHORITY ? { authority: env.STAMPEDE_AAD_AUTHORITY } : {}),
      ...(env.STAMPEDE_AAD_AUDIENCE ? { audience: env.STAMPEDE_AAD_AUDIENCE } : {}),
    };
  if (env.STAMPEDE_USERNAME && env.STAMPEDE_PASSWORD) {
    s.username = env.STAMPEDE_USERNAME;
    s.password = env.STAMPEDE_PASSWORD;
  }
  return s;
}

/** Azure AD client credentials (what @azure/identity's ClientSecretCredential does). */
export function aadClientToken(http: VuHttp, c: AadClient): string {
  const authority = (c.authority ?? 'https://login.microsoftonline.com').replace(/\/$/, '');
  const res = http.request(
    'POST',
    `${authority}/${c.tenant ?? 'organizations'}/oauth2/v2.0/token`,
    formEncode({
      grant_type: 'client_credentials',
      client_id: c.clientId,
      client_secret: c.clientSecret,
      scope: `${c.audience ?? 'https://containerregistry.azure.net'}/.default`,
    }),
    { headers: { 'content-type': 'application/x-www-form-urlencoded' }, tags: { step: 'aad' } },
  );
  const parsed = res.status === 200 ? parseTokenResponse(String(res.body)) : null;
  if (!parsed) throw failed('Azure AD token request', res);
  return parsed.token;
}

/** GET /v2/ -> Bearer challenge -> POST /oauth2/exchange: an ACR refresh token for an AAD token. */
export function exchangeAadToken(http: VuHttp, base: string, aadToken: string, tenant?: string): string {
  const ping = http.request('GET', `${base}/v2/`, null, { tags: { step: 'ping' } });
  // No answer at all is a transport failure, counted by k6's code (refused, DNS, timeout).
  if (ping.status === 0) throw failed(`GET ${base}/v2/`, ping);
  const ch = bearerChallenge(ping.headers['Www-Authenticate'] ?? ping.headers['www-authenticate']);
  if (!ch)
    throw new PullError(
      'NO_CHALLENGE',
      `GET ${base}/v2/: ${outcome(ping)}${ping.status ? ' without a Bearer challenge' : ''}`,
    );
  const service = ch.service ?? base.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const r = exchangeRequest(ch.realm, service, aadToken, tenant);
  const res = http.request(r.method, r.url, r.body ?? null, {
    headers: r.headers,
    tags: { step: 'exchange' },
  });
  const parsed = res.status === 200 ? parseTokenResponse(String(res.body)) : null;
  if (!parsed) throw failed('/oauth2/exchange', res);
  return parsed.refreshToken ?? parsed.token;
}

/**
 * setup()'s part: a refresh token minted by an Azure AD login, or nothing. A refresh token
 * given in the settings is not returned: setup()'s value reaches k6's outputs and APIs, so
 * only a token minted here goes in it.
 */
export function loginOnce(http: VuHttp, base: string, s: CredentialSettings): { refreshToken?: string } {
  if (s.refreshToken) return {};
  const aad = s.aadToken ?? (s.aad ? aadClientToken(http, s.aad) : undefined);
  if (!aad) return {};
  return { refreshToken: exchangeAadToken(http, base, aad, s.tenant ?? s.aad?.tenant) };
}

/** What a VU authenticates with: a refresh token (given or minted in setup), basic, or anonymous. */
export function vuCredentials(
  s: CredentialSettings,
  minted: { refreshToken?: string } = {},
): RegistryCredentials {
  const refreshToken = s.refreshToken ?? minted.refreshToken;
  if (refreshToken) return { kind: 'refresh', refreshToken };
  if (s.username && s.password) return { kind: 'basic', username: s.username, password: s.password };
  return { kind: 'anonymous' };
}
