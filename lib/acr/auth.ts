/**
 * Azure AD auth for ACR, the way `az acr login` and the SDKs do it:
 *   credential (@azure/identity) -> AAD access token for https://containerregistry.azure.net/.default
 *   -> POST /oauth2/exchange -> ACR refresh token -> POST /oauth2/token -> scoped access token.
 * Works against a real registry (x.azurecr.io) and the lab (whose identity stand-in speaks
 * Azure AD's protocol). Tokens are returned, never logged.
 */
import type { TokenCredential } from '@azure/core-auth';
import { RunError } from '../errors';
import { type AuthCredentials, sendTokenRequest } from '../oci/auth-fetch';
import type { FetchLike } from '../oci/push';
import { exchangeRequest, parseTokenResponse, tokenRequest } from '../oci/token-flow';

export const ACR_SCOPE = 'https://containerregistry.azure.net/.default';

/** The registry's `service` (its login server name) unless given: the host of the endpoint. */
const serviceOf = (endpoint: string) => new URL(endpoint).hostname;

export interface AcrTokenOptions {
  /** `service` from the registry's challenge (default: the endpoint's host name). */
  service?: string;
  tenant?: string;
  scope?: string;
  fetchImpl?: FetchLike;
}

export async function acrRefreshToken(
  endpoint: string,
  credential: TokenCredential,
  o: AcrTokenOptions = {},
): Promise<{ refreshToken: string; service: string }> {
  const aad = await credential.getToken(o.scope ?? ACR_SCOPE);
  if (!aad) throw new RunError('ACR_AUTH_FAILED', 'the credential returned no Azure AD token');
  const service = o.service ?? serviceOf(endpoint);
  const text = await sendTokenRequest(
    o.fetchImpl ?? fetch,
    exchangeRequest(endpoint, service, aad.token, o.tenant),
    'exchanging the Azure AD token (/oauth2/exchange)',
  );
  const parsed = parseTokenResponse(text);
  if (!parsed) throw new RunError('ACR_AUTH_FAILED', '/oauth2/exchange answered without a refresh_token');
  return { refreshToken: parsed.refreshToken ?? parsed.token, service };
}

/** An access token for `scopes` (e.g. repository:app:pull) from a refresh token. */
export async function acrAccessToken(
  endpoint: string,
  refreshToken: string,
  scopes: string[],
  o: { service?: string; fetchImpl?: FetchLike } = {},
): Promise<{ token: string; expiresIn: number }> {
  const realm = `${endpoint.replace(/\/$/, '')}/oauth2/token`;
  const service = o.service ?? serviceOf(endpoint);
  const text = await sendTokenRequest(
    o.fetchImpl ?? fetch,
    tokenRequest({ realm, service, scopes }, { kind: 'refresh', refreshToken }),
    'getting an access token (/oauth2/token)',
  );
  const parsed = parseTokenResponse(text);
  if (!parsed) throw new RunError('ACR_AUTH_FAILED', '/oauth2/token answered without an access_token');
  return { token: parsed.token, expiresIn: parsed.expiresIn };
}

/** For withRegistryAuth(): the exchange happens on the first challenge, against its realm. */
export function aadRegistryCredentials(credential: TokenCredential, tenant?: string): AuthCredentials {
  return {
    kind: 'aad',
    ...(tenant ? { tenant } : {}),
    aadToken: async () => {
      const t = await credential.getToken(ACR_SCOPE);
      if (!t) throw new RunError('ACR_AUTH_FAILED', 'the credential returned no Azure AD token');
      return t.token;
    },
  };
}
