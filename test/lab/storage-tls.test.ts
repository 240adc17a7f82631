/**
 * storage.tls: backends serve blobs over HTTPS with a lab-CA certificate, and the front's
 * 307s point at https://, as ACR's SAS URLs point at Azure Storage over TLS.
 */
import { createHash } from 'node:crypto';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomLayer } from '../../lib/oci/digest';
import { type PushedImage, pushImage } from '../../lib/oci/push';
import { type RegionFixture, startRegionFixture } from './helpers/region-fixture';

const sha = (b: ArrayBuffer) => `sha256:${createHash('sha256').update(Buffer.from(b)).digest('hex')}`;

describe('storage over TLS (storage.tls)', () => {
  let lab: RegionFixture;
  let img: PushedImage;
  beforeAll(async () => {
    lab = await startRegionFixture({
      slot: 8,
      tree: { registry: { adminPassword: 'pw' }, storage: { backends: 2, copies: 2, tls: true } },
    });
    img = await pushImage(
      lab.base(lab.host.global()),
      'apps/tls',
      'v1',
      [randomLayer(512 * 1024)],
      lab.authFetch({ admin: true }),
    );
  });
  afterAll(() => lab?.stop());

  const redirect = async () => {
    const layer = img.layers[0]!;
    const r = await lab.authFetch({ admin: true })(
      `${lab.base(lab.host.global())}/v2/apps/tls/blobs/${layer.digest}`,
      {
        redirect: 'manual',
      },
    );
    expect(r.status).toBe(307);
    return { layer, loc: new URL(r.headers.get('location')!) };
  };

  it("redirects to https:// on a backend's name, and the blob verifies against the lab CA", async () => {
    const { layer, loc } = await redirect();
    expect(loc.protocol).toBe('https:');
    expect(lab.topology.regions[0]!.backends.map((b) => b.host)).toContain(loc.hostname);
    const blob = await lab.fetch(loc.toString());
    expect(blob.status).toBe(200);
    const body = await blob.arrayBuffer();
    expect(sha(body)).toBe(layer.digest);
  });

  it('refuses a client that does not trust the lab CA, and plain HTTP', async () => {
    const { loc } = await redirect();
    const untrusting = new Agent({ connect: { lookup: lab.lookup as never } });
    try {
      const err = await undiciFetch(loc.toString(), { dispatcher: untrusting }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect(String((err as Error & { cause?: Error }).cause ?? err)).toMatch(/certificate/i);
    } finally {
      await untrusting.close();
    }
    const plain = new URL(loc.toString());
    plain.protocol = 'http:';
    const r = await lab.fetch(plain.toString()).then(
      (x) => x.status,
      () => 'refused',
    );
    expect(r).not.toBe(200);
  });
});
