/** The Www-Authenticate parser and the token-flow requests built from it (pure, k6-safe). */
import { describe, expect, it } from 'vitest';
import { bearerChallenge, parseChallenges, repoScope } from '../../lib/oci/challenge';
import { type Descriptor, parseManifest, pickPlatform } from '../../lib/oci/manifest';
import { base64, exchangeRequest, parseTokenResponse, tokenRequest } from '../../lib/oci/token-flow';

describe('parseChallenges', () => {
  it('parses ACR-style Bearer challenges', () => {
    const h =
      'Bearer realm="http://contoso.eastus.geo.stampede.test:8080/oauth2/token",service="contoso.stampede.test",scope="repository:app/web:pull,push"';
    expect(bearerChallenge(h)).toEqual({
      realm: 'http://contoso.eastus.geo.stampede.test:8080/oauth2/token',
      service: 'contoso.stampede.test',
      scopes: ['repository:app/web:pull,push'],
    });
  });

  it('handles several challenges, unquoted values, escapes, case and error params', () => {
    const h =
      'Basic realm="Registry \\"x\\", ok", BEARER Realm=https://r/t , service=r,error="insufficient_scope"';
    expect(parseChallenges(h)).toEqual([
      { scheme: 'basic', params: { realm: 'Registry "x", ok' } },
      { scheme: 'bearer', params: { realm: 'https://r/t', service: 'r', error: 'insufficient_scope' } },
    ]);
    expect(bearerChallenge(h)?.error).toBe('insufficient_scope');
  });

  it('splits space-separated scopes and tolerates missing ones', () => {
    expect(bearerChallenge('Bearer realm="r",scope="repository:a:pull repository:b:pull"')?.scopes).toEqual([
      'repository:a:pull',
      'repository:b:pull',
    ]);
    expect(bearerChallenge('Bearer realm="r"')).toEqual({ realm: 'r', scopes: [] });
  });

  it('returns null without a usable Bearer challenge', () => {
    expect(bearerChallenge(null)).toBeNull();
    expect(bearerChallenge('')).toBeNull();
    expect(bearerChallenge('Basic realm="x"')).toBeNull();
    expect(bearerChallenge('Bearer service="x"')).toBeNull();
    expect(parseChallenges('Basic dXNlcjpwYXNz==')).toEqual([
      { scheme: 'basic', params: { token68: 'dXNlcjpwYXNz==' } },
    ]);
  });
});

describe('token flow requests', () => {
  const ch = { realm: 'http://r.test:8080/oauth2/token', service: 'r.test', scopes: ['repository:a:pull'] };

  it('refresh token: POST form to the realm', () => {
    const r = tokenRequest(ch, { kind: 'refresh', refreshToken: 'rt.x.y' }, [repoScope('a/b', ['pull'])]);
    expect(r.method).toBe('POST');
    expect(r.url).toBe(ch.realm);
    expect(Object.fromEntries(new URLSearchParams(r.body))).toEqual({
      grant_type: 'refresh_token',
      service: 'r.test',
      scope: 'repository:a/b:pull',
      refresh_token: 'rt.x.y',
    });
  });

  it('basic and anonymous: GET with service and scope in the query', () => {
    const r = tokenRequest(ch, { kind: 'basic', username: 'admin', password: 'pä:ss' });
    expect(r.method).toBe('GET');
    expect(r.url).toBe('http://r.test:8080/oauth2/token?service=r.test&scope=repository%3Aa%3Apull');
    expect(r.headers.authorization).toBe(`Basic ${Buffer.from('admin:pä:ss').toString('base64')}`);
    expect(tokenRequest(ch, { kind: 'anonymous' }).headers).toEqual({});
  });

  it('base64 matches Buffer for every padding length and non-ASCII', () => {
    for (const s of ['', 'a', 'ab', 'abc', 'abcd', 'héllo wörld', '日本', '🐳:x'])
      expect(base64(s)).toBe(Buffer.from(s, 'utf8').toString('base64'));
  });

  it('AAD exchange goes beside the realm', () => {
    const r = exchangeRequest(ch.realm, 'r.test', 'aad.jwt.sig', 'tid-1');
    expect(r.url).toBe('http://r.test:8080/oauth2/exchange');
    expect(Object.fromEntries(new URLSearchParams(r.body))).toEqual({
      grant_type: 'access_token',
      service: 'r.test',
      tenant: 'tid-1',
      access_token: 'aad.jwt.sig',
    });
  });

  it('parses token responses from ACR, docker and the exchange', () => {
    expect(parseTokenResponse('{"access_token":"a","expires_in":300}')).toEqual({
      token: 'a',
      expiresIn: 300,
    });
    expect(parseTokenResponse('{"token":"d"}')).toEqual({ token: 'd', expiresIn: 60 });
    expect(parseTokenResponse('{"refresh_token":"r"}')).toEqual({
      token: 'r',
      expiresIn: 60,
      refreshToken: 'r',
    });
    expect(parseTokenResponse('{"errors":[]}')).toBeNull();
    expect(parseTokenResponse('<html>')).toBeNull();
  });
});

describe('manifest parsing', () => {
  const d = (n: string, size = 10): Descriptor => ({
    mediaType: 'x',
    digest: `sha256:${n.repeat(64)}`,
    size,
  });
  it('reads an image manifest', () => {
    const p = parseManifest(
      JSON.stringify({ schemaVersion: 2, config: d('a'), layers: [d('b', 5), d('c', 7)] }),
    );
    expect(p.kind).toBe('manifest');
    if (p.kind === 'manifest') expect(p.layers.map((l) => l.size)).toEqual([5, 7]);
  });
  it('reads an index and picks linux/amd64', () => {
    const arm = { ...d('1'), platform: { os: 'linux', architecture: 'arm64' } };
    const amd = { ...d('2'), platform: { os: 'linux', architecture: 'amd64' } };
    const p = parseManifest(
      JSON.stringify({ manifests: [arm, amd] }),
      'application/vnd.oci.image.index.v1+json; charset=utf-8',
    );
    expect(p.kind).toBe('index');
    if (p.kind === 'index') expect(pickPlatform(p.manifests)?.digest).toBe(amd.digest);
  });
  it('refuses garbage with a coded error', () => {
    expect(() => parseManifest('nope')).toThrow(/not JSON/);
    expect(() => parseManifest('{"layers":[{"digest":"md5:x","size":1}],"config":{}}')).toThrow(/descriptor/);
  });
});
