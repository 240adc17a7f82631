import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NULL_GUID } from '../../lib/lab/auth';
import { randomLayer } from '../../lib/oci/digest';
import { pushImage } from '../../lib/oci/push';
import { parseChallenge, type RegionFixture, startRegionFixture } from './helpers/region-fixture';

const form = (o: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(o).toString(),
});
const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

describe('ACR token flow through the front', () => {
  let lab: RegionFixture;
  beforeAll(async () => {
    lab = await startRegionFixture({
      slot: 0,
      regions: ['eastus', 'westus'],
      names: ['contoso', 'fabrikam'],
      tree: { registry: { adminPassword: 'lab-admin-pw', tokenTtlS: 5 } },
    });
    // seed two repositories with the admin user
    const admin = lab.authFetch({ admin: true });
    await pushImage(lab.base(lab.host.regional('eastus')), 'team/a', 'v1', [randomLayer(1024)], admin);
    await pushImage(lab.base(lab.host.regional('eastus')), 'team/b', 'v1', [randomLayer(1024)], admin);
  });
  afterAll(() => lab?.stop());

  it('challenges with the called host as realm and the global name as service', async () => {
    const host = lab.host.regional('westus');
    const base = await lab.fetch(`${lab.base(host)}/v2/`);
    expect(base.status).toBe(401);
    expect(base.headers.get('www-authenticate')).toBe(
      `Bearer realm="http://${host}:${lab.port}/oauth2/token",service="contoso.stampede.test"`,
    );
    const pull = await lab.fetch(`${lab.base(host)}/v2/team/a/manifests/v1`);
    expect(pull.status).toBe(401);
    expect((await pull.json()).errors[0].code).toBe('UNAUTHORIZED');
    expect(parseChallenge(pull.headers.get('www-authenticate')!)).toEqual({
      realm: `http://${host}:${lab.port}/oauth2/token`,
      service: 'contoso.stampede.test',
      scope: 'repository:team/a:pull',
    });
    const push = await lab.fetch(`${lab.base(lab.host.data('eastus', 'fabrikam'))}/v2/x/blobs/uploads/`, {
      method: 'POST',
    });
    expect(parseChallenge(push.headers.get('www-authenticate')!)).toMatchObject({
      service: 'fabrikam.stampede.test',
      scope: 'repository:x:pull,push',
    });
  });

  it('exchanges an AAD token for a refresh token and that for a scoped access token', async () => {
    const host = lab.host.global();
    const ex = await lab.fetch(
      `${lab.base(host)}/oauth2/exchange`,
      form({
        grant_type: 'access_token',
        service: 'contoso.stampede.test',
        tenant: lab.tenantId,
        access_token: lab.aadToken({ roles: ['AcrPull'] }),
      }),
    );
    expect(ex.status).toBe(200);
    const { refresh_token } = await ex.json();
    expect(refresh_token.split('.')).toHaveLength(3);
    const tk = await lab.fetch(
      `${lab.base(host)}/oauth2/token`,
      form({
        grant_type: 'refresh_token',
        service: 'contoso.stampede.test',
        scope: 'repository:team/a:pull,push',
        refresh_token,
      }),
    );
    expect(tk.status).toBe(200);
    const body = await tk.json();
    expect(body.expires_in).toBe(5);
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
    expect(claims.aud).toBe('contoso.stampede.test');
    // requested pull,push ∩ AcrPull = pull
    expect(claims.access).toEqual([{ type: 'repository', name: 'team/a', actions: ['pull'] }]);
    // the refresh token is not an access token
    const misuse = await lab.fetch(`${lab.base(host)}/v2/team/a/manifests/v1`, bearer(refresh_token));
    expect(misuse.status).toBe(401);
  });

  it('refuses bad AAD tokens, a wrong tenant and unknown services', async () => {
    const host = lab.base(lab.host.global());
    const forged = `${lab.aadToken({ roles: ['AcrPush'] }).slice(0, -4)}AAAA`;
    const bad = await lab.fetch(
      `${host}/oauth2/exchange`,
      form({ grant_type: 'access_token', service: 'contoso.stampede.test', access_token: forged }),
    );
    expect(bad.status).toBe(401);
    const tenant = await lab.fetch(
      `${host}/oauth2/exchange`,
      form({
        grant_type: 'access_token',
        service: 'contoso.stampede.test',
        tenant: 'another-tenant',
        access_token: lab.aadToken({ roles: ['AcrPush'] }),
      }),
    );
    expect(tenant.status).toBe(401);
    const svc = await lab.fetch(
      `${host}/oauth2/exchange`,
      form({ grant_type: 'access_token', service: 'evil.example.test', access_token: lab.aadToken({}) }),
    );
    expect(svc.status).toBe(400);
    const noCreds = await lab.fetch(
      `${host}/oauth2/token?service=contoso.stampede.test&scope=repository:team/a:pull`,
    );
    expect(noCreds.status).toBe(401);
  });

  it('enforces scope: a pull token cannot push, a repo A token cannot read repo B', async () => {
    const host = lab.host.regional('eastus');
    const pullA = await lab.token(host, 'repository:team/a:pull,push', { roles: ['AcrPull'] });
    const ok = await lab.fetch(`${lab.base(host)}/v2/team/a/manifests/v1`, {
      headers: { authorization: `Bearer ${pullA}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(ok.status).toBe(200);
    const push = await lab.fetch(`${lab.base(host)}/v2/team/a/blobs/uploads/`, {
      method: 'POST',
      ...bearer(pullA),
    });
    expect(push.status).toBe(401);
    expect(push.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    const otherRepo = await lab.fetch(`${lab.base(host)}/v2/team/b/manifests/v1`, bearer(pullA));
    expect(otherRepo.status).toBe(401);
    // delete needs AcrDelete even with push
    const pushTok = await lab.token(host, 'repository:team/a:pull,push,delete', { roles: ['AcrPush'] });
    const del = await lab.fetch(`${lab.base(host)}/v2/team/a/manifests/v1`, {
      method: 'DELETE',
      ...bearer(pushTok),
    });
    expect(del.status).toBe(401);
    const pusher = await lab.fetch(`${lab.base(host)}/v2/team/a/blobs/uploads/`, {
      method: 'POST',
      ...bearer(pushTok),
    });
    expect(pusher.status).toBe(202);
    await pusher.arrayBuffer();
  });

  it('a token from a regional host works on the global, data and other regional hosts; another registry refuses it', async () => {
    const t = await lab.token(lab.host.regional('westus'), 'repository:team/a:pull', { roles: ['AcrPull'] });
    for (const host of [lab.host.global(), lab.host.data('eastus'), lab.host.regional('eastus')]) {
      const r = await lab.fetch(`${lab.base(host)}/v2/team/a/tags/list`, bearer(t));
      expect(r.status, host).toBe(200);
      expect(await r.json()).toEqual({ name: 'team/a', tags: ['v1'] });
    }
    // westus's own registry accepts it too (no replication in this fixture, so the repo is unknown there)
    const west = await lab.fetch(`${lab.base(lab.host.data('westus'))}/v2/team/a/tags/list`, bearer(t));
    expect(west.status).toBe(404);
    expect((await west.json()).errors[0].code).toBe('NAME_UNKNOWN');
    const other = await lab.fetch(
      `${lab.base(lab.host.regional('eastus', 'fabrikam'))}/v2/team/a/tags/list`,
      bearer(t),
    );
    expect(other.status).toBe(401);
    expect(other.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('admin user: Basic on GET /oauth2/token and grant_type=password; refresh token as password', async () => {
    const host = lab.base(lab.host.global());
    const basic = (u: string, p: string) => ({
      headers: { authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` },
    });
    const q = 'service=contoso.stampede.test&scope=repository:team/b:delete';
    const good = await lab.fetch(`${host}/oauth2/token?${q}`, basic('admin', 'lab-admin-pw'));
    expect(good.status).toBe(200);
    const wrong = await lab.fetch(`${host}/oauth2/token?${q}`, basic('admin', 'nope'));
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('nope');
    const pw = await lab.fetch(
      `${host}/oauth2/token`,
      form({
        grant_type: 'password',
        service: 'contoso.stampede.test',
        scope: 'repository:team/b:pull',
        username: 'admin',
        password: 'lab-admin-pw',
      }),
    );
    expect(pw.status).toBe(200);
    const ex = await lab.fetch(
      `${host}/oauth2/exchange`,
      form({
        grant_type: 'access_token',
        service: 'contoso.stampede.test',
        access_token: lab.aadToken({ roles: ['AcrPull'] }),
      }),
    );
    const { refresh_token } = await ex.json();
    const viaGuid = await lab.fetch(
      `${host}/oauth2/token?service=contoso.stampede.test&scope=repository:team/b:pull`,
      basic(NULL_GUID, refresh_token),
    );
    expect(viaGuid.status).toBe(200);
    const t = (await viaGuid.json()).access_token;
    expect((await lab.fetch(`${host}/v2/team/b/tags/list`, bearer(t))).status).toBe(200);
  });
  // Expiry (access and refresh tokens, to the millisecond) is tested on a fake clock in
  // test/lab-logic/token-expiry.test.ts: here it took a 5.2 s sleep.
});

describe('anonymous pull', () => {
  let lab: RegionFixture;
  beforeAll(async () => {
    lab = await startRegionFixture({
      slot: 1,
      tree: { registry: { anonymousPull: true, adminPassword: 'pw' } },
    });
    await pushImage(
      lab.base(lab.host.global()),
      'public/app',
      'v1',
      [randomLayer(2048)],
      lab.authFetch({ admin: true }),
    );
  });
  afterAll(() => lab?.stop());

  it('pulls without credentials but still needs a token to push', async () => {
    const base = lab.base(lab.host.global());
    expect((await lab.fetch(`${base}/v2/`)).status).toBe(200);
    const m = await lab.fetch(`${base}/v2/public/app/manifests/v1`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(m.status).toBe(200);
    const manifest = await m.json();
    const blob = await lab.fetch(`${base}/v2/public/app/blobs/${manifest.layers[0].digest}`);
    expect(blob.status).toBe(200);
    expect((await blob.arrayBuffer()).byteLength).toBe(2048);
    const push = await lab.fetch(`${base}/v2/public/app/blobs/uploads/`, { method: 'POST' });
    expect(push.status).toBe(401);
    // anonymous token, as docker gets one: pull only
    const tk = await lab.fetch(
      `${base}/oauth2/token?service=contoso.stampede.test&scope=repository:public/app:pull,push`,
    );
    const claims = JSON.parse(
      Buffer.from((await tk.json()).access_token.split('.')[1], 'base64url').toString(),
    );
    expect(claims.access).toEqual([{ type: 'repository', name: 'public/app', actions: ['pull'] }]);
  });
});
