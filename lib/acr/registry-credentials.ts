/**
 * Credentials for a k6 run against a real registry, resolved on the Node side so that k6
 * only ever receives an ACR refresh token: Azure AD secrets stay in this process.
 *
 *   STAMPEDE_REFRESH_TOKEN                      used as is
 *   STAMPEDE_AAD_CLIENT_ID/_SECRET/_TENANT      @azure/identity ClientSecretCredential
 *   STAMPEDE_AZURE_CREDENTIAL=default           @azure/identity DefaultAzureCredential
 *                                               (az login, managed identity, AZURE_* env)
 *   then /oauth2/exchange -> refresh token.
 *   STAMPEDE_USERNAME/_PASSWORD, or nothing      passed to k6 unchanged (basic / anonymous)
 *
 * `env` is the whole of what k6 gets: k6 inherits no STAMPEDE_* variable (lib/k6/run.ts).
 */
import {
  ClientSecretCredential,
  type ClientSecretCredentialOptions,
  DefaultAzureCredential,
  type TokenCredential,
} from '@azure/identity';
import { RunError } from '../errors';
import { bearerChallenge } from '../oci/challenge';
import type { FetchLike } from '../oci/push';
import { acrRefreshToken } from './auth';
import { checkCredentialTarget, type TrustSettings } from './trust';

export interface RegistryCredentials {
  /** The credentials k6 gets: a refresh token, a username and password, or nothing. */
  env: Record<string, string>;
  /** Safe to print and to store in results. */
  describe: string;
}

function credentialFrom(e: NodeJS.ProcessEnv, o: ClientSecretCredentialOptions): TokenCredential | undefined {
  if (e.STAMPEDE_AAD_CLIENT_ID && e.STAMPEDE_AAD_CLIENT_SECRET && e.STAMPEDE_AAD_TENANT)
    return new ClientSecretCredential(
      e.STAMPEDE_AAD_TENANT,
      e.STAMPEDE_AAD_CLIENT_ID,
      e.STAMPEDE_AAD_CLIENT_SECRET,
      {
        // A private authority (the lab's identity stand-in, Azure Stack) is unknown to
        // Azure AD's instance discovery, which would otherwise be asked about it.
        ...(e.STAMPEDE_AAD_AUTHORITY
          ? { authorityHost: e.STAMPEDE_AAD_AUTHORITY, disableInstanceDiscovery: true }
          : {}),
        ...o,
      },
    );
  if (e.STAMPEDE_AZURE_CREDENTIAL === 'default') return new DefaultAzureCredential();
  return undefined;
}

/** The registry's `service` as its own challenge names it (ACR: the login server). */
async function challengeService(base: string, f: FetchLike): Promise<string | undefined> {
  const res = await f(`${base}/v2/`, { signal: AbortSignal.timeout(15_000) });
  await res.arrayBuffer();
  if (res.status !== 401) return undefined;
  const ch = bearerChallenge(res.headers.get('www-authenticate'));
  if (!ch) throw new RunError('ACR_AUTH_FAILED', `${base}/v2/ answered 401 without a Bearer challenge`);
  return ch.service;
}

export async function registryCredentials(
  base: string,
  e: NodeJS.ProcessEnv = process.env,
  credentialOptions: ClientSecretCredentialOptions = {},
  fetchImpl: FetchLike = fetch,
  trust: TrustSettings = {},
): Promise<RegistryCredentials> {
  if (e.STAMPEDE_REFRESH_TOKEN)
    return { env: { STAMPEDE_REFRESH_TOKEN: e.STAMPEDE_REFRESH_TOKEN }, describe: 'ACR refresh token' };
  const credential = credentialFrom(e, credentialOptions);
  if (credential) {
    // Before any token is asked for: the check is about where the AAD token would go.
    await checkCredentialTarget(base, 'aad', trust);
    const service = await challengeService(base, fetchImpl);
    const { refreshToken } = await acrRefreshToken(base, credential, {
      ...(service ? { service } : {}),
      ...(e.STAMPEDE_AAD_TENANT ? { tenant: e.STAMPEDE_AAD_TENANT } : {}),
      fetchImpl,
    });
    return {
      env: { STAMPEDE_REFRESH_TOKEN: refreshToken },
      describe: `Azure AD via @azure/identity (${credential.constructor.name}) exchanged for an ACR refresh token`,
    };
  }
  if (e.STAMPEDE_USERNAME && e.STAMPEDE_PASSWORD) {
    await checkCredentialTarget(base, 'basic', trust);
    return {
      env: { STAMPEDE_USERNAME: e.STAMPEDE_USERNAME, STAMPEDE_PASSWORD: e.STAMPEDE_PASSWORD },
      describe: 'basic (username/password)',
    };
  }
  return { env: {}, describe: 'anonymous' };
}
