/**
 * ACR's token service, per the regional-endpoints design: the challenge's realm is the host
 * the client called (so the token endpoint matches it) while `service` and the tokens'
 * `aud` are the registry's global name (so a token is valid on every endpoint of that
 * registry, in every region, and refused by any other registry).
 *
 *   POST /oauth2/exchange  grant_type=access_token, service, tenant, access_token=<AAD JWT>
 *        -> {refresh_token}
 *   POST /oauth2/token     grant_type=refresh_token|password, service, scope*, refresh_token | username+password
 *        -> {access_token, expires_in}
 *   GET  /oauth2/token?service=&scope=   Basic admin:<password> or 00000000-...:<refresh token>
 *        (docker login / az acr login), or no credentials when anonymous pull is on.
 *
 * Tokens and passwords are never logged or echoed in errors.
 */

import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, systemClock } from '../../clock';
import type { LabState } from '../state';
import { globalHost } from '../topology';
import { signJwt, verifyJwt } from './jwt';
import {
  type Access,
  type Action,
  ALL_ACTIONS,
  actionsForRoles,
  challengeScope,
  grant,
  parseScopes,
} from './scope';

export type { Access, Action } from './scope';

export interface AadClaims {
  oid: string;
  tid: string;
  appid?: string;
  roles?: string[];
}

export type AuthDecision = { ok: true; subject: string } | { ok: false; challenge: string };

export interface AuthService {
  /** Serves /oauth2/exchange and /oauth2/token; resolves false if the path is not ours. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** May this request do `action` on `repo` of registry `reg`? repo '' = any valid token (GET /v2/), '_catalog' = catalog. */
  /**
   * `also`: more scopes a refusal's challenge asks for, as the distribution registry's token
   * auth does for a cross-repository mount (`repository:<from>:pull`), so a client that
   * follows the challenge gets a token the mount can use.
   */
  authorize(
    req: IncomingMessage,
    reg: string,
    repo: string,
    action: Action,
    also?: readonly string[],
  ): Promise<AuthDecision>;
  /** Health Monitor's check of the auth pipeline: issue and validate a token end to end. */
  probe(): Promise<{ ok: boolean; detail: string }>;
}

export interface AuthOptions {
  /** Shared by every region of the lab, so tokens are portable across replicas. */
  secret: Buffer;
  verifyAadToken(jwt: string): Promise<AadClaims | null>;
  /** Token issue and expiry times (default the system clock; tests: a FakeClock). */
  clock?: Clock;
}

/** The user name ACR's docker-login-with-refresh-token flow uses. */
export const NULL_GUID = '00000000-0000-0000-0000-000000000000';
/** ACR refresh tokens live 3 hours. */
const REFRESH_TTL_S = 3 * 3600;
const FORM_LIMIT = 64 * 1024;

interface Principal {
  sub: string;
  actions: Set<Action>;
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

const ociError = (code: string, message: string) => ({ errors: [{ code, message, detail: null }] });

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > FORM_LIMIT) {
        reject(new Error('form too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function basicCredentials(req: IncomingMessage): { user: string; password: string } | null {
  const h = req.headers.authorization;
  if (!h || !/^basic /i.test(h)) return null;
  const text = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? null : { user: text.slice(0, i), password: text.slice(i + 1) };
}

export function createAuth(state: LabState, opts: AuthOptions): AuthService {
  const { secret } = opts;
  const clock = opts.clock ?? systemClock;
  const nowS = () => Math.floor(clock.now() / 1000);
  const domain = state.config.registry.domain;
  const services = new Set(state.config.registry.names.map((n) => globalHost(n, domain)));

  const refreshPrincipal = (token: string, service: string): Principal | null => {
    const c = verifyJwt(token, secret);
    if (c?.typ !== 'refresh' || c.aud !== service || typeof c.exp !== 'number' || c.exp <= nowS())
      return null;
    const actions = Array.isArray(c.actions)
      ? (c.actions as Action[]).filter((a) => ALL_ACTIONS.includes(a))
      : [];
    return { sub: String(c.sub), actions: new Set(actions) };
  };

  const passwordPrincipal = (user: string, password: string, service: string): Principal | null => {
    const { adminUser, adminPassword } = state.config.registry;
    if (adminPassword !== '' && safeEqual(user, adminUser) && safeEqual(password, adminPassword))
      return { sub: adminUser, actions: new Set(ALL_ACTIONS) };
    if (user === NULL_GUID) return refreshPrincipal(password, service);
    return null;
  };

  const accessToken = (p: Principal, service: string, scopes: string[]): Reply => {
    const access: Access[] = grant(parseScopes(scopes), p.actions);
    const ttl = state.config.registry.tokenTtlS;
    const iat = nowS();
    const token = signJwt(
      {
        typ: 'access',
        iss: 'stampede-lab',
        sub: p.sub,
        aud: service,
        iat,
        nbf: iat - 5,
        exp: iat + ttl,
        jti: randomUUID(),
        access,
      },
      secret,
    );
    return { status: 200, body: { access_token: token, expires_in: ttl } };
  };

  const exchange = async (form: URLSearchParams): Promise<Reply> => {
    const service = form.get('service') ?? '';
    if (form.get('grant_type') !== 'access_token')
      return { status: 400, body: ociError('UNSUPPORTED', 'grant_type must be access_token') };
    if (!services.has(service))
      return { status: 400, body: ociError('DENIED', `unknown service ${service}`) };
    const aad = form.get('access_token');
    if (!aad) return { status: 400, body: ociError('UNAUTHORIZED', 'access_token missing') };
    let claims: AadClaims | null = null;
    try {
      claims = await opts.verifyAadToken(aad);
    } catch {
      claims = null;
    }
    if (!claims) return { status: 401, body: ociError('UNAUTHORIZED', 'the AAD access token was rejected') };
    const tenant = form.get('tenant');
    if (tenant && tenant !== claims.tid)
      return {
        status: 401,
        body: ociError('UNAUTHORIZED', 'token tenant does not match the tenant parameter'),
      };
    const iat = nowS();
    const refresh = signJwt(
      {
        typ: 'refresh',
        iss: 'stampede-lab',
        sub: claims.oid,
        tid: claims.tid,
        aud: service,
        iat,
        exp: iat + REFRESH_TTL_S,
        jti: randomUUID(),
        actions: [...actionsForRoles(claims.roles ?? [])],
      },
      secret,
    );
    return { status: 200, body: { refresh_token: refresh } };
  };

  const token = async (req: IncomingMessage, form: URLSearchParams): Promise<Reply> => {
    const service = form.get('service') ?? '';
    if (!services.has(service))
      return { status: 400, body: ociError('DENIED', `unknown service ${service}`) };
    const scopes = form.getAll('scope');
    const grantType = form.get('grant_type');
    let p: Principal | null = null;
    if (req.method === 'POST' && grantType === 'refresh_token') {
      p = refreshPrincipal(form.get('refresh_token') ?? '', service);
    } else if (req.method === 'POST' && grantType === 'password') {
      p = passwordPrincipal(form.get('username') ?? '', form.get('password') ?? '', service);
    } else if (req.method === 'POST') {
      return { status: 400, body: ociError('UNSUPPORTED', 'grant_type must be refresh_token or password') };
    } else {
      const basic = basicCredentials(req);
      if (basic) p = passwordPrincipal(basic.user, basic.password, service);
      else if (state.config.registry.anonymousPull) p = { sub: '', actions: new Set<Action>(['pull']) };
      else
        return {
          status: 401,
          body: ociError('UNAUTHORIZED', 'authentication required'),
          headers: { 'www-authenticate': `Basic realm="${service}"` },
        };
    }
    if (!p) return { status: 401, body: ociError('UNAUTHORIZED', 'invalid credentials or refresh token') };
    return accessToken(p, service, scopes);
  };

  const challenge = (
    req: IncomingMessage,
    service: string,
    repo: string,
    action: Action,
    error?: string,
    also: readonly string[] = [],
  ) => {
    const host = req.headers.host ?? service;
    // the realm is the endpoint the client called, in the scheme it called it with
    const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    let c = `Bearer realm="${scheme}://${host}/oauth2/token",service="${service}"`;
    if (repo) c += `,scope="${[challengeScope(repo, action), ...also].join(' ')}"`;
    if (error) c += `,error="${error}"`;
    return c;
  };

  return {
    async handle(req, res) {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/oauth2/exchange' && path !== '/oauth2/token') return false;
      let reply: Reply;
      try {
        if (path === '/oauth2/exchange') {
          reply =
            req.method === 'POST'
              ? await exchange(await readForm(req))
              : { status: 405, body: ociError('UNSUPPORTED', 'POST only') };
        } else {
          const query = new URL(req.url ?? '/', 'http://x').searchParams;
          reply =
            req.method === 'POST'
              ? await token(req, await readForm(req))
              : req.method === 'GET'
                ? await token(req, query)
                : { status: 405, body: ociError('UNSUPPORTED', 'GET or POST') };
        }
      } catch {
        reply = { status: 400, body: ociError('BAD_REQUEST', 'unreadable form body') };
      }
      const body = JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
        ...reply.headers,
      });
      res.end(body);
      return true;
    },

    async authorize(req, reg, repo, action, also = []) {
      const service = globalHost(reg, domain);
      const h = req.headers.authorization;
      if (h && /^bearer /i.test(h)) {
        const c = verifyJwt(h.slice(7).trim(), secret);
        const valid =
          c && c.typ === 'access' && c.aud === service && typeof c.exp === 'number' && c.exp > nowS();
        if (!valid)
          return { ok: false, challenge: challenge(req, service, repo, action, 'invalid_token', also) };
        const sub = String(c.sub ?? '');
        if (repo === '') return { ok: true, subject: sub };
        const access = Array.isArray(c.access) ? (c.access as Access[]) : [];
        const allowed =
          repo === '_catalog'
            ? access.some((a) => a.type === 'registry' && a.name === 'catalog')
            : access.some(
                (a) =>
                  a.type === 'repository' &&
                  a.name === repo &&
                  Array.isArray(a.actions) &&
                  a.actions.includes(action),
              );
        if (allowed) return { ok: true, subject: sub };
        return { ok: false, challenge: challenge(req, service, repo, action, 'insufficient_scope', also) };
      }
      if (state.config.registry.anonymousPull && action === 'pull' && repo !== '_catalog')
        return { ok: true, subject: '' };
      return { ok: false, challenge: challenge(req, service, repo, action, undefined, also) };
    },

    async probe() {
      try {
        const t = signJwt({ typ: 'probe', exp: nowS() + 60 }, secret);
        const c = verifyJwt(t, secret);
        return c?.typ === 'probe'
          ? { ok: true, detail: 'token issue/verify ok' }
          : { ok: false, detail: 'token round trip failed' };
      } catch (e) {
        return { ok: false, detail: `token service error: ${(e as Error).message}` };
      }
    },
  };
}
