/** Pushing from a VU: monolithic and chunked blob uploads, the manifest PUT. */
import { describe, expect, it } from 'vitest';
import { putManifest, uploadBlob } from '../../../lib/k6/vu/upload';
import { OCI_MANIFEST } from '../../../lib/oci/media-types';
import { bytes, fakeHttp, ociError } from './fake-http';

const BASE = 'http://reg';
const DIGEST = `sha256:${'d'.repeat(64)}`;

/** A registry's upload endpoints: each answer moves the upload to a new location. */
function uploads() {
  let n = 0;
  return fakeHttp((r) => {
    if (r.method === 'POST')
      return { status: 202, headers: { Location: `/v2/app/blobs/uploads/u?_state=${n++}` } };
    if (r.method === 'PATCH')
      return { status: 202, headers: { Location: `/v2/app/blobs/uploads/u?_state=${n++}` } };
    if (r.method === 'PUT') return { status: 201, headers: { 'Docker-Content-Digest': DIGEST } };
    return ociError(400, 'UNSUPPORTED');
  });
}

describe('uploadBlob', () => {
  it('monolithic: POST, then one PUT with the bytes and the digest', () => {
    const http = uploads();
    const data = bytes('0123456789');
    expect(uploadBlob(http, BASE, 'app', data, DIGEST, { authorization: 'Bearer t' })).toEqual({
      requests: 2,
    });
    expect(http.log.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST http://reg/v2/app/blobs/uploads/',
      `PUT http://reg/v2/app/blobs/uploads/u?_state=0&digest=${encodeURIComponent(DIGEST)}`,
    ]);
    expect(http.log[1]?.body).toBe(data);
    expect(http.log[1]?.params.headers).toMatchObject({ authorization: 'Bearer t' });
  });

  it('chunked: a PATCH per chunk with its Content-Range at the latest location, then an empty PUT', () => {
    const http = uploads();
    const data = bytes('0123456789');
    expect(uploadBlob(http, BASE, 'app', data, DIGEST, {}, { chunkSize: 4 })).toEqual({ requests: 5 });
    const patches = http.log.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.params.headers?.['content-range'])).toEqual(['0-3', '4-7', '8-9']);
    expect(patches.map((r) => new TextDecoder().decode(r.body as ArrayBuffer))).toEqual([
      '0123',
      '4567',
      '89',
    ]);
    expect(patches.map((r) => r.url.slice(-1))).toEqual(['0', '1', '2']);
    const put = http.log.at(-1);
    expect(put?.url).toContain('_state=3&digest=');
    expect(put?.body).toBeNull();
  });

  it('fails by code when the registry refuses', () => {
    const http = fakeHttp(() => ociError(401, 'UNAUTHORIZED'));
    expect(() => uploadBlob(http, BASE, 'app', bytes('x'), DIGEST, {})).toThrow(
      expect.objectContaining({ code: 'UNAUTHORIZED' }),
    );
  });
});

describe('putManifest', () => {
  it('PUTs with the media type and returns the registry digest', () => {
    const http = uploads();
    expect(putManifest(http, BASE, 'app', 'v1', '{}', OCI_MANIFEST, {})).toBe(DIGEST);
    expect(http.log[0]).toMatchObject({ method: 'PUT', url: 'http://reg/v2/app/manifests/v1', body: '{}' });
    expect(http.log[0]?.params.headers?.['content-type']).toBe(OCI_MANIFEST);
  });
});
