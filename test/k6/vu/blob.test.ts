/**
 * Blob GETs follow the registry's 307 to storage as a request of their own: without the
 * Authorization header, named by the URL without its signature; sizes and digests checked.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkedBody, getBlobs, hopUrl } from '../../../lib/k6/vu/blob';
import { withSafeNames } from '../../../lib/k6/vu/naming';
import { bytes, fakeHttp, ociError } from './fake-http';

const BASE = 'http://reg.test:8080';
const data = bytes('layer bytes');
const digest = `sha256:${createHash('sha256').update(Buffer.from(data)).digest('hex')}`;
const SAS = 'sv=2024&sig=SECRET%2Fsig&se=2030';
const sha = (b: ArrayBuffer) => createHash('sha256').update(Buffer.from(b)).digest('hex');

describe('getBlobs', () => {
  it('follows the 307 without the Authorization header, naming the hop without its signature', () => {
    const http = fakeHttp((r) =>
      r.url.startsWith(BASE)
        ? { status: 307, headers: { Location: `https://store.test/c/${digest}?${SAS}` } }
        : { status: 200, body: data },
    );
    const [out] = getBlobs(withSafeNames(http), BASE, 'app', [{ digest }], { authorization: 'Bearer tok' });
    expect(out?.redirected).toBe(true);
    expect(out?.res.body).toBe(data);
    const [first, hop] = http.log;
    expect(first?.params).toMatchObject({ headers: { authorization: 'Bearer tok' }, redirects: 0 });
    expect(hop?.url).toBe(`https://store.test/c/${digest}?${SAS}`);
    expect(hop?.params.headers ?? {}).not.toHaveProperty('authorization');
    expect(JSON.stringify(hop?.params.headers ?? {})).not.toMatch(/Bearer/);
    expect(hop?.params.redirects).toBe(0);
    expect(hop?.params.tags).toEqual({ step: 'blob-data', name: `https://store.test/c/${digest}` });
    // nothing of the signature in any tag of any request
    expect(JSON.stringify(http.log.map((r) => r.params.tags))).not.toMatch(/sig=|SECRET/);
  });

  it('resolves a relative Location against the registry', () => {
    expect(hopUrl(BASE, '/storage/x?sig=1')).toBe(`${BASE}/storage/x?sig=1`);
    expect(hopUrl(BASE, 'https://s/x')).toBe('https://s/x');
  });

  it('sends one batch per hop for several blobs, keeping their order', () => {
    const http = fakeHttp((r) => {
      if (r.url.endsWith('/blobs/sha256:b')) return { status: 200, body: bytes('b') };
      if (r.url.startsWith(BASE))
        return { status: 307, headers: { Location: `/s/${r.url.slice(-1)}?sig=x` } };
      return { status: 200, body: bytes(r.url.slice(-7, -6)) };
    });
    const out = getBlobs(
      http,
      BASE,
      'app',
      [{ digest: 'sha256:a' }, { digest: 'sha256:b' }, { digest: 'sha256:c' }],
      {},
    );
    expect(out.map((o) => o.redirected)).toEqual([true, false, true]);
    expect(http.log.map((r) => r.batch)).toEqual([0, 0, 0, 1, 1]);
  });
});

describe('checkedBody', () => {
  const d = { mediaType: '', digest, size: data.byteLength };
  const ok = { status: 200, body: data, headers: {}, timings: { duration: 1 } };
  it('accepts the right bytes, with or without digest verification', () => {
    expect(checkedBody(d, ok)).toBe(data);
    expect(checkedBody(d, ok, { sha256hex: sha })).toBe(data);
  });
  it('names a short body, a wrong digest and a failed status by code', () => {
    expect(() => checkedBody({ ...d, size: 99 }, ok)).toThrow(
      expect.objectContaining({ code: 'SIZE_INVALID' }),
    );
    expect(() => checkedBody(d, ok, { sha256hex: () => '00' })).toThrow(
      expect.objectContaining({ code: 'DIGEST_INVALID' }),
    );
    const gone = { ...ociError(404, 'BLOB_UNKNOWN'), timings: { duration: 1 } } as never;
    expect(() => checkedBody(d, gone)).toThrow(expect.objectContaining({ code: 'BLOB_UNKNOWN' }));
  });
});
