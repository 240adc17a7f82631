/**
 * The slice of Azure AD's protocol that a real `@azure/identity` credential (MSAL Node
 * underneath) walks for the client-credentials flow, as read from msal-common's
 * Authority/ClientCredentialClient:
 *   GET  /common/discovery/instance             instance discovery (only if not disabled)
 *   GET  /<tenant>/v2.0/.well-known/openid-configuration
 *   POST /<tenant>/oauth2/v2.0/token              grant_type=client_credentials + client_secret
 *   GET  /<tenant>/discovery/v2.0/keys            JWKS for verifying what we issued
 * Errors use AAD's body shape (error, error_description with an AADSTS code, error_codes)
 * because MSAL and @azure/identity parse it into their own error classes.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../clock';
import { jwk, type SigningKey, signJwt, verifyJwt } from './jwt';

export const ACR_AUDIENCE = 'https://containerregistry.azure.net';

export interface IdentityClient {
  /** Label for status output, e.g. "puller"; never a secret. */
  name: string;
  clientId: string;
  clientSecret: string;
  /** The service principal's object id: the `oid` claim ACR keys permissions on. */
  objectId: string;
  roles: string[];
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ProtocolCtx {
  /** https://login.<domain>:<port> (what callers use as authorityHost) */
  url: string;
  tenantId: string;
  key: SigningKey;
  clients: IdentityClient[];
  tokenTtlS: number;
  counters: Record<string, number>;
  /** Issue and expiry times come from here (tests: a FakeClock). */
  clock: Clock;
}

export const issuerOf = (url: string, tenantId: string) => `${url}/${tenantId}/v2.0`;

/** AAD's error body; its timestamps are the stand-in's clock. */
function aadError(ctx: ProtocolCtx, status: number, error: string, code: number, text: string): Reply {
  const at = new Date(ctx.clock.now()).toISOString();
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${randomUUID()}\r\nTimestamp: ${at}`,
      error_codes: [code],
      timestamp: at.replace('T', ' ').slice(0, 19),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  };
}

function bump(ctx: ProtocolCtx, key: string): void {
  ctx.counters[key] = (ctx.counters[key] ?? 0) + 1;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function openIdConfiguration(ctx: ProtocolCtx, tenant: string): Record<string, unknown> {
  const base = `${ctx.url}/${tenant}`;
  return {
    issuer: issuerOf(ctx.url, tenant),
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    token_endpoint: `${base}/oauth2/v2.0/token`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    grant_types_supported: ['client_credentials'],
    tenant_region_scope: 'NA',
    cloud_instance_name: new URL(ctx.url).hostname,
  };
}

/** The resource a `.default` scope names: what ends up as the token's `aud`. */
export function resourceOf(scopes: string[]): string | null {
  const real = scopes.filter((s) => !['openid', 'profile', 'offline_access', 'email'].includes(s));
  if (real.length !== 1) return null;
  const s = real[0] as string;
  return s.endsWith('/.default') ? s.slice(0, -'/.default'.length) : null;
}

function tokenRequest(ctx: ProtocolCtx, tenant: string, form: URLSearchParams, auth?: string): Reply {
  bump(ctx, 'tokenRequests');
  const grant = form.get('grant_type');
  if (grant !== 'client_credentials')
    return aadError(
      ctx,
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grant}'.`,
    );
  let clientId = form.get('client_id') ?? '';
  let secret = form.get('client_secret') ?? '';
  // client_secret_basic: the same two values in an Authorization: Basic header.
  if (!secret && auth?.startsWith('Basic ')) {
    const [id, pw] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
    clientId = decodeURIComponent(id ?? '');
    secret = decodeURIComponent(pw ?? '');
  }
  const client = ctx.clients.find((c) => c.clientId === clientId);
  if (!client)
    return aadError(
      ctx,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
    );
  if (!secret || !sameSecret(secret, client.clientSecret)) {
    bump(ctx, 'tokenRejected');
    return aadError(ctx, 401, 'invalid_client', 7000215, 'Invalid client secret provided.');
  }
  const resource = resourceOf((form.get('scope') ?? '').split(/\s+/).filter(Boolean));
  if (!resource)
    return aadError(
      ctx,
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${form.get('scope')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  const now = Math.floor(ctx.clock.now() / 1000);
  const token = signJwt(ctx.key, {
    aud: resource,
    iss: issuerOf(ctx.url, tenant),
    iat: now,
    nbf: now,
    exp: now + ctx.tokenTtlS,
    tid: tenant,
    oid: client.objectId,
    sub: client.objectId,
    appid: client.clientId,
    azp: client.clientId,
    appidacr: '1',
    idtyp: 'app',
    roles: client.roles,
    ver: '2.0',
    uti: randomUUID().replace(/-/g, ''),
  });
  bump(ctx, 'tokensIssued');
  return {
    status: 200,
    body: {
      token_type: 'Bearer',
      expires_in: ctx.tokenTtlS,
      ext_expires_in: ctx.tokenTtlS,
      access_token: token,
    },
  };
}

/** Routes one request; null when the path is not part of the protocol (-> 404). */
export function route(
  ctx: ProtocolCtx,
  method: string,
  url: URL,
  form: URLSearchParams,
  authorization?: string,
): Reply | null {
  const parts = url.pathname.split('/').filter(Boolean);
  const tenant = parts[0] ?? '';
  const rest = parts.slice(1).join('/');
  if (method === 'GET' && tenant === 'common' && rest === 'discovery/instance') {
    bump(ctx, 'instanceDiscovery');
    const host = new URL(ctx.url).host;
    return {
      status: 200,
      body: {
        tenant_discovery_endpoint: `${ctx.url}/${ctx.tenantId}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      },
    };
  }
  const knownTenant = tenant === ctx.tenantId;
  if (
    method === 'GET' &&
    (rest === 'v2.0/.well-known/openid-configuration' || rest === '.well-known/openid-configuration')
  ) {
    if (!knownTenant) return aadError(ctx, 400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
    bump(ctx, 'openidConfiguration');
    return { status: 200, body: openIdConfiguration(ctx, tenant) };
  }
  if (method === 'GET' && rest === 'discovery/v2.0/keys') {
    bump(ctx, 'jwks');
    return { status: 200, body: { keys: [jwk(ctx.key)] } };
  }
  if (rest === 'oauth2/v2.0/token') {
    if (method !== 'POST')
      return aadError(ctx, 405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
    if (!knownTenant) return aadError(ctx, 400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
    return tokenRequest(ctx, tenant, form, authorization);
  }
  return null;
}

/** What an ACR front learns from a verified Azure AD token. */
export interface AadClaims {
  oid: string;
  tid: string;
  appid?: string;
  roles?: string[];
}

/**
 * The claims of a token this stand-in issued for ACR (signature, audience, one of its
 * issuers, its tenant, and not expired by ctx's clock, with verifyJwt's skew); null
 * otherwise. Counts verified / verifyRejected.
 */
export function verifyAcrToken(
  ctx: ProtocolCtx,
  issuers: ReadonlySet<string>,
  jwt: string,
): AadClaims | null {
  const check = verifyJwt(jwt, [ctx.key], ctx.clock.now() / 1000);
  const p = check.ok ? check.payload : null;
  const ok =
    p !== null &&
    p.aud === ACR_AUDIENCE &&
    typeof p.iss === 'string' &&
    issuers.has(p.iss) &&
    p.tid === ctx.tenantId &&
    typeof p.oid === 'string';
  bump(ctx, ok ? 'verified' : 'verifyRejected');
  if (!ok || !p) return null;
  return {
    oid: p.oid as string,
    tid: p.tid as string,
    ...(typeof p.appid === 'string' ? { appid: p.appid } : {}),
    ...(Array.isArray(p.roles) ? { roles: p.roles.filter((r): r is string => typeof r === 'string') } : {}),
  };
}
