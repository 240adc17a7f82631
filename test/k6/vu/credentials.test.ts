/**
 * Each credential path of a VU: a refresh token (used as is, never handed back by setup),
 * Azure AD client credentials then /oauth2/exchange, an Azure AD token exchanged, basic
 * (docker's token GET with Basic auth), anonymous.
 */
import { describe, expect, it } from 'vitest';
import { credentialSettings, loginOnce, vuCredentials } from '../../../lib/k6/vu/credentials';
import { registryToken } from '../../../lib/k6/vu/token';
import { fakeHttp, json, ociError } from './fake-http';

const BASE = 'https://myreg.azurecr.io';
const CHALLENGE = {
  status: 401,
  headers: {
    'Www-Authenticate': 'Bearer realm="https://myreg.azurecr.io/oauth2/token",service="myreg.azurecr.io"',
  },
};

/** A registry with ACR's token endpoints and an Azure AD authority, all recorded. */
function acr() {
  return fakeHttp((r) => {
    if (r.url.endsWith('/v2/')) return CHALLENGE;
    if (r.url === 'https://login.example/tenant-1/oauth2/v2.0/token')
      return json(200, { access_token: 'aad-1' });
    if (r.url === `${BASE}/oauth2/exchange`) return json(200, { refresh_token: 'refresh-1' });
    if (r.url.startsWith(`${BASE}/oauth2/token`)) return json(200, { access_token: 'access-1' });
    return ociError(404, 'NAME_UNKNOWN');
  });
}

const form = (b: unknown) => Object.fromEntries(new URLSearchParams(String(b)));

describe('credentials', () => {
  it('reads the STAMPEDE_* variables it is given (and nothing else)', () => {
    expect(credentialSettings({ STAMPEDE_USERNAME: 'u' })).toEqual({});
    expect(
      credentialSettings({
        STAMPEDE_AAD_CLIENT_ID: 'id',
        STAMPEDE_AAD_CLIENT_SECRET: 's',
        STAMPEDE_AAD_TENANT: 't',
        STAMPEDE_AAD_AUTHORITY: 'https://a',
      }),
    ).toEqual({
      tenant: 't',
      aad: { clientId: 'id', clientSecret: 's', tenant: 't', authority: 'https://a' },
    });
  });

  it('refresh token: setup returns nothing (the token stays in the env), VUs POST it for a scoped token', () => {
    const http = acr();
    const s = credentialSettings({ STAMPEDE_REFRESH_TOKEN: 'given' });
    expect(loginOnce(http, BASE, s)).toEqual({});
    expect(http.log).toHaveLength(0);
    const token = registryToken(http, BASE, vuCredentials(s), [{ repo: 'app/web', actions: ['pull'] }]);
    expect(token).toBe('access-1');
    const post = http.log[1];
    expect(post?.method).toBe('POST');
    expect(form(post?.body)).toEqual({
      grant_type: 'refresh_token',
      service: 'myreg.azurecr.io',
      scope: 'repository:app/web:pull',
      refresh_token: 'given',
    });
  });

  it('Azure AD client credentials: token at the authority, exchange at the registry, refresh token to VUs', () => {
    const http = acr();
    const s = credentialSettings({
      STAMPEDE_AAD_CLIENT_ID: 'cid',
      STAMPEDE_AAD_CLIENT_SECRET: 'csecret',
      STAMPEDE_AAD_TENANT: 'tenant-1',
      STAMPEDE_AAD_AUTHORITY: 'https://login.example/',
    });
    const minted = loginOnce(http, BASE, s);
    expect(minted).toEqual({ refreshToken: 'refresh-1' });
    expect(http.log.map((r) => `${r.method} ${r.url} ${r.params.tags?.step}`)).toEqual([
      'POST https://login.example/tenant-1/oauth2/v2.0/token aad',
      `GET ${BASE}/v2/ ping`,
      `POST ${BASE}/oauth2/exchange exchange`,
    ]);
    expect(form(http.log[0]?.body)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'cid',
      client_secret: 'csecret',
      scope: 'https://containerregistry.azure.net/.default',
    });
    expect(form(http.log[2]?.body)).toEqual({
      grant_type: 'access_token',
      service: 'myreg.azurecr.io',
      tenant: 'tenant-1',
      access_token: 'aad-1',
    });
    expect(vuCredentials(s, minted)).toEqual({ kind: 'refresh', refreshToken: 'refresh-1' });
  });

  it('an Azure AD token is exchanged without a call to the authority', () => {
    const http = acr();
    expect(loginOnce(http, BASE, credentialSettings({ STAMPEDE_AAD_TOKEN: 'aad-given' }))).toEqual({
      refreshToken: 'refresh-1',
    });
    expect(http.log.map((r) => r.params.tags?.step)).toEqual(['ping', 'exchange']);
    expect(form(http.log[1]?.body).access_token).toBe('aad-given');
  });

  it('a refused exchange is a PullError with the registry code', () => {
    const http = fakeHttp((r) => (r.url.endsWith('/v2/') ? CHALLENGE : ociError(401, 'UNAUTHORIZED')));
    expect(() => loginOnce(http, BASE, { aadToken: 'x' })).toThrow(
      expect.objectContaining({ code: 'UNAUTHORIZED', message: '/oauth2/exchange: HTTP 401' }),
    );
  });

  it('basic: the token GET carries Basic auth and the scopes in its query', () => {
    const http = acr();
    const creds = vuCredentials(
      credentialSettings({ STAMPEDE_USERNAME: 'user', STAMPEDE_PASSWORD: 'pässword' }),
    );
    expect(creds.kind).toBe('basic');
    registryToken(http, BASE, creds, [
      { repo: 'a', actions: ['pull'] },
      { repo: 'b', actions: ['pull', 'push'] },
    ]);
    const get = http.log[1];
    expect(get?.method).toBe('GET');
    expect(get?.params.headers?.authorization).toBe(
      `Basic ${Buffer.from('user:pässword').toString('base64')}`,
    );
    expect(new URL(get?.url ?? '').searchParams.get('scope')).toBe(
      'repository:a:pull repository:b:pull,push',
    );
  });

  it('anonymous: a token GET without Authorization; a registry without auth needs no token', () => {
    const http = acr();
    registryToken(http, BASE, vuCredentials({}), [{ repo: 'a', actions: ['pull'] }]);
    expect(http.log[1]?.params.headers).toEqual({});
    const open = fakeHttp(() => ({ status: 200 }));
    expect(
      registryToken(open, 'http://r', { kind: 'anonymous' }, [{ repo: 'a', actions: ['pull'] }]),
    ).toBeNull();
    expect(open.log).toHaveLength(1);
  });

  it('a /v2/ that answers no challenge fails with its code and the outcome', () => {
    const http = fakeHttp(() => ({ status: 0, error: 'dial tcp: connection refused', error_code: 1212 }));
    expect(() => registryToken(http, BASE, { kind: 'anonymous' }, [])).toThrow(
      expect.objectContaining({
        code: 'NETWORK_1212',
        message: 'GET /v2/: no response (dial tcp: connection refused)',
      }),
    );
  });
});
