/**
 * Token lifetimes of the lab's ACR token service and its Azure AD stand-in, on a fake
 * clock: each token is accepted up to the last instant of its life and refused from the
 * next, exactly (was: a 5.2 s sleep against tokenTtlS = 5 in the lab's auth-flow test, and
 * the identity stand-in read Date.now()). No sockets: the service's handler gets a request
 * stream and a recording response, the stand-in's protocol is called directly.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../lib/clock';
import { type AuthService, createAuth } from '../../lib/lab/auth';
import { resolveLabConfig } from '../../lib/lab/config';
import { newSigningKey } from '../../lib/lab/identity/jwt';
import {
  ACR_AUDIENCE,
  issuerOf,
  type ProtocolCtx,
  route,
  verifyAcrToken,
} from '../../lib/lab/identity/protocol';
import { createState } from '../../lib/lab/state';
import { globalHost, topology } from '../../lib/lab/topology';

type Req = Parameters<AuthService['handle']>[0];
type Res = Parameters<AuthService['handle']>[1];

/** A request as the front hands it over: a body stream with method, url and headers. */
function request(method: string, url: string, headers: Record<string, string>, body = ''): Req {
  return Object.assign(Readable.from(body ? [Buffer.from(body)] : []), {
    method,
    url,
    headers: { host: 'contoso.stampede.test', ...headers },
    socket: { encrypted: false },
  }) as unknown as Req;
}

/** Runs one request through the service's handler; the status and parsed JSON body it wrote. */
async function call(auth: AuthService, req: Req): Promise<{ status: number; body: Record<string, unknown> }> {
  let status = 0;
  let text = '';
  const res = {
    writeHead(s: number) {
      status = s;
      return res;
    },
    end(t: string) {
      text = t;
    },
  } as unknown as Res;
  expect(await auth.handle(req, res)).toBe(true);
  return { status, body: JSON.parse(text) };
}

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();

function tokenService(tokenTtlS: number) {
  const cfg = resolveLabConfig([{ source: 'test', tree: { registry: { tokenTtlS } } }], ['lab.name=tokens']);
  const state = createState(cfg, topology(cfg, { netns: false, octet: 250 }));
  const clock = new FakeClock();
  const auth = createAuth(state, {
    secret: Buffer.alloc(32, 7),
    verifyAadToken: async () => ({ oid: 'oid-1', tid: 'tenant-1', roles: ['AcrPull'] }),
    clock,
  });
  const service = globalHost(cfg.registry.names[0] as string, cfg.registry.domain);
  const reg = cfg.registry.names[0] as string;
  return { auth, clock, service, reg };
}

async function refreshToken(auth: AuthService, service: string): Promise<string> {
  const ex = await call(
    auth,
    request(
      'POST',
      '/oauth2/exchange',
      {},
      form({ grant_type: 'access_token', service, access_token: 'aad-token' }),
    ),
  );
  expect(ex.status).toBe(200);
  return ex.body.refresh_token as string;
}

function accessRequest(service: string, refresh: string): Req {
  return request(
    'POST',
    '/oauth2/token',
    {},
    form({ grant_type: 'refresh_token', service, scope: 'repository:team/a:pull', refresh_token: refresh }),
  );
}

describe('ACR token service on a fake clock', () => {
  it('an access token is good for tokenTtlS seconds: accepted at ttl - 1 ms, refused (invalid_token) at ttl', async () => {
    const { auth, clock, service, reg } = tokenService(5);
    const tk = await call(auth, accessRequest(service, await refreshToken(auth, service)));
    expect(tk.status).toBe(200);
    expect(tk.body.expires_in).toBe(5);
    const pull = () =>
      auth.authorize(
        request('GET', '/v2/team/a/tags/list', { authorization: `Bearer ${tk.body.access_token}` }),
        reg,
        'team/a',
        'pull',
      );
    expect(await pull()).toEqual({ ok: true, subject: 'oid-1' });
    clock.advance(4_999);
    expect(await pull()).toEqual({ ok: true, subject: 'oid-1' });
    clock.advance(1);
    const late = await pull();
    expect(late.ok).toBe(false);
    expect(late.ok === false && late.challenge).toContain('error="invalid_token"');
  });

  it('a refresh token lives 3 hours: it buys access tokens until 3 h - 1 ms, none from 3 h on', async () => {
    const { auth, clock, service } = tokenService(300);
    const refresh = await refreshToken(auth, service);
    clock.advance(3 * 3600_000 - 1);
    expect((await call(auth, accessRequest(service, refresh))).status).toBe(200);
    clock.advance(1);
    const late = await call(auth, accessRequest(service, refresh));
    expect(late.status).toBe(401);
    expect(late.body).toMatchObject({ errors: [{ code: 'UNAUTHORIZED' }] });
  });

  it("an access token issued later carries the clock's time, not the machine's", async () => {
    const { auth, clock, service } = tokenService(60);
    const refresh = await refreshToken(auth, service);
    clock.advance(90_000);
    const tk = await call(auth, accessRequest(service, refresh));
    const claims = JSON.parse(
      Buffer.from((tk.body.access_token as string).split('.')[1] as string, 'base64url').toString(),
    );
    const t0 = Date.UTC(2026, 0, 1) / 1000; // FakeClock's epoch
    expect(claims).toMatchObject({ iat: t0 + 90, nbf: t0 + 85, exp: t0 + 150 });
  });
});

describe('Azure AD stand-in on a fake clock', () => {
  const client = {
    name: 'puller',
    clientId: 'client-1',
    clientSecret: 'secret-1',
    objectId: 'oid-1',
    roles: ['AcrPull'],
  };
  const stand = (tokenTtlS: number) => {
    const clock = new FakeClock();
    const ctx: ProtocolCtx = {
      url: 'https://login.stampede.test:8443',
      tenantId: 'tenant-1',
      key: newSigningKey(),
      clients: [client],
      tokenTtlS,
      counters: {},
      clock,
    };
    const issue = () => {
      const reply = route(
        ctx,
        'POST',
        new URL(`${ctx.url}/tenant-1/oauth2/v2.0/token`),
        new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: client.clientSecret,
          scope: `${ACR_AUDIENCE}/.default`,
        }),
      );
      expect(reply?.status).toBe(200);
      return (reply?.body as { access_token?: string } | undefined)?.access_token ?? '';
    };
    const verify = (jwt: string) => verifyAcrToken(ctx, new Set([issuerOf(ctx.url, ctx.tenantId)]), jwt);
    return { clock, ctx, issue, verify };
  };

  it('a token verifies until exp plus the 60 s skew, and not 1 ms after', () => {
    const { clock, ctx, issue, verify } = stand(3600);
    const jwt = issue();
    expect(verify(jwt)).toEqual({ oid: 'oid-1', tid: 'tenant-1', appid: 'client-1', roles: ['AcrPull'] });
    clock.advance((3600 + 60) * 1000);
    expect(verify(jwt)).not.toBeNull();
    clock.advance(1);
    expect(verify(jwt)).toBeNull();
    expect(ctx.counters).toMatchObject({ tokensIssued: 1, verified: 2, verifyRejected: 1 });
  });

  it("stamps iat/exp and AAD error timestamps with the clock's time", () => {
    const { clock, ctx, issue } = stand(600);
    clock.advance(42_000);
    const claims = JSON.parse(Buffer.from(issue().split('.')[1] as string, 'base64url').toString());
    const t0 = Date.UTC(2026, 0, 1) / 1000;
    expect(claims).toMatchObject({ iat: t0 + 42, nbf: t0 + 42, exp: t0 + 642 });
    const refused = route(
      ctx,
      'POST',
      new URL(`${ctx.url}/other-tenant/oauth2/v2.0/token`),
      new URLSearchParams(),
    );
    expect(refused?.status).toBe(400);
    expect((refused?.body as { timestamp?: string } | undefined)?.timestamp).toBe('2026-01-01 00:00:42');
  });
});
