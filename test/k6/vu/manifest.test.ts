/** Manifest resolution: a manifest directly, an index through its linux/amd64 entry. */
import { describe, expect, it } from 'vitest';
import { resolveManifest } from '../../../lib/k6/vu/manifest';
import { DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST } from '../../../lib/oci/media-types';
import { fakeHttp, json, ociError } from './fake-http';

const h = (c: string) => `sha256:${c.repeat(64)}`;
const manifest = {
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  config: { mediaType: 'c', digest: h('c'), size: 10 },
  layers: [{ mediaType: 'l', digest: h('1'), size: 100 }],
};
const index = {
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  manifests: [
    { mediaType: OCI_MANIFEST, digest: h('a'), size: 1, platform: { os: 'linux', architecture: 'arm64' } },
    { mediaType: OCI_MANIFEST, digest: h('b'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
  ],
};

describe('resolveManifest', () => {
  it('returns config then layers, asking with every manifest type', () => {
    const http = fakeHttp(() => json(200, manifest));
    const r = resolveManifest(http, 'http://r', 'app', 'v1', { authorization: 'Bearer t' });
    expect(r).toEqual({ blobs: [manifest.config, manifest.layers[0]], requests: 1 });
    expect(http.log[0]?.params.headers).toMatchObject({ authorization: 'Bearer t' });
    expect(http.log[0]?.params.headers?.accept).toContain(OCI_INDEX);
    expect(http.log[0]?.params.headers?.accept).toContain(DOCKER_MANIFEST);
  });

  it('follows an index to its linux/amd64 manifest by digest', () => {
    const http = fakeHttp((r) => (r.url.endsWith('/v1') ? json(200, index) : json(200, manifest)));
    expect(resolveManifest(http, 'http://r', 'app', 'v1', {}).requests).toBe(2);
    expect(http.log[1]?.url).toBe(`http://r/v2/app/manifests/${h('b')}`);
  });

  it('fails by code: unknown manifest, no platform, an index of indexes, a bad body', () => {
    expect(() =>
      resolveManifest(
        fakeHttp(() => ociError(404, 'MANIFEST_UNKNOWN')),
        'http://r',
        'a',
        'v',
        {},
      ),
    ).toThrow(expect.objectContaining({ code: 'MANIFEST_UNKNOWN', message: 'manifest v: HTTP 404' }));
    const armOnly = { ...index, manifests: index.manifests.slice(0, 1) };
    expect(() =>
      resolveManifest(
        fakeHttp(() => json(200, armOnly)),
        'http://r',
        'a',
        'v',
        {},
      ),
    ).toThrow(expect.objectContaining({ code: 'MANIFEST_UNKNOWN' }));
    expect(() =>
      resolveManifest(
        fakeHttp(() => json(200, index)),
        'http://r',
        'a',
        'v',
        {},
      ),
    ).toThrow(expect.objectContaining({ code: 'MANIFEST_INVALID' }));
    expect(() =>
      resolveManifest(
        fakeHttp(() => ({ status: 200, body: 'nope' })),
        'http://r',
        'a',
        'v',
        {},
      ),
    ).toThrow(expect.objectContaining({ code: 'MANIFEST_INVALID' }));
  });
});
