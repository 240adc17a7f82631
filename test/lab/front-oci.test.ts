import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomLayer, sha256 } from '../../lib/oci/digest';
import { OCI_MANIFEST } from '../../lib/oci/media-types';
import { type PushedImage, pushImage } from '../../lib/oci/push';
import { type RegionFixture, startRegionFixture } from './helpers/region-fixture';

const run = promisify(execFile);
const sha = (b: ArrayBuffer) => `sha256:${createHash('sha256').update(Buffer.from(b)).digest('hex')}`;

describe('OCI distribution through the front', () => {
  let lab: RegionFixture;
  let img: PushedImage;
  const layers = [randomLayer(1024 * 1024), randomLayer(3 * 1024 * 1024)];
  beforeAll(async () => {
    lab = await startRegionFixture({
      slot: 4,
      names: ['contoso', 'fabrikam'],
      tree: { registry: { adminPassword: 'pw' }, storage: { backends: 3, copies: 2, redirectHost: 'ip' } },
    });
    // push as an AAD principal with AcrPush, through the regional endpoint
    img = await pushImage(
      lab.base(lab.host.regional('eastus')),
      'apps/web',
      'v1',
      layers,
      lab.authFetch({ roles: ['AcrPush'] }),
    );
  });
  afterAll(() => lab?.stop());

  it('pulls the manifest through the global name and every blob by following the 307', async () => {
    const f = lab.authFetch({ roles: ['AcrPull'] });
    const base = lab.base(lab.host.global());
    const m = await f(`${base}/v2/apps/web/manifests/v1`, { headers: { accept: OCI_MANIFEST } });
    expect(m.status).toBe(200);
    expect(m.headers.get('docker-content-digest')).toBe(img.manifestDigest);
    const manifest = await m.json();
    for (const d of [manifest.config, ...manifest.layers]) {
      const r = await f(`${base}/v2/apps/web/blobs/${d.digest}`, { redirect: 'manual' });
      expect(r.status).toBe(307);
      const loc = new URL(r.headers.get('location')!);
      expect(lab.topology.regions[0]!.backends.map((b) => b.ip)).toContain(loc.hostname);
      const blob = await lab.fetch(loc.toString());
      const body = await blob.arrayBuffer();
      expect(body.byteLength).toBe(d.size);
      expect(sha(body)).toBe(d.digest);
    }
  });

  it('answers blob HEAD from the registry and unknown content with spec errors', async () => {
    const f = lab.authFetch({ roles: ['AcrPull'] });
    const base = lab.base(lab.host.data('eastus'));
    const head = await f(`${base}/v2/apps/web/blobs/${img.layers[1]!.digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(layers[1]!.length));
    expect(head.headers.get('docker-content-digest')).toBe(img.layers[1]!.digest);
    const missing = await f(`${base}/v2/apps/web/blobs/${sha256('nope')}`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).errors[0].code).toBe('BLOB_UNKNOWN');
    const noManifest = await f(`${base}/v2/apps/web/manifests/v404`);
    expect(noManifest.status).toBe(404);
    expect((await noManifest.json()).errors[0].code).toBe('MANIFEST_UNKNOWN');
  });

  it('streams a chunked upload (PATCH) and answers relative Locations without the registry prefix (as ACR does)', async () => {
    const f = lab.authFetch({ roles: ['AcrPush'] });
    const host = lab.host.regional('eastus');
    const base = lab.base(host);
    const start = await f(`${base}/v2/apps/big/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    const rel = start.headers.get('location')!;
    expect(rel.startsWith('/v2/apps/big/blobs/uploads/')).toBe(true);
    expect(rel).not.toContain('contoso/');
    // a spec client resolves it against the endpoint it called
    const loc = new URL(rel, base).toString();
    const data = randomLayer(24 * 1024 * 1024);
    const chunk = 1024 * 1024;
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (i >= data.length) return c.close();
        c.enqueue(data.subarray(i, i + chunk));
        i += chunk;
      },
    });
    const patch = await f(loc, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(patch.status).toBe(202);
    expect(patch.headers.get('range')).toBe(`0-${data.length - 1}`);
    expect(patch.headers.get('location')!.startsWith('/v2/apps/big/blobs/uploads/')).toBe(true);
    const put = new URL(patch.headers.get('location')!, base);
    put.searchParams.set('digest', sha256(data));
    const done = await f(put.toString(), { method: 'PUT' });
    expect(done.status).toBe(201);
    expect(new URL(done.headers.get('location')!, base).pathname).toBe(`/v2/apps/big/blobs/${sha256(data)}`);
    const r = await f(`${base}/v2/apps/big/blobs/${sha256(data)}`);
    expect(sha(await r.arrayBuffer())).toBe(sha256(data));
  });

  it('mounts across repositories only with pull on the source', async () => {
    const base = lab.base(lab.host.global());
    const d = img.layers[0]!.digest;
    const both = await lab.token(
      lab.host.global(),
      'repository:apps/copy:pull,push repository:apps/web:pull',
      {
        roles: ['AcrPush'],
      },
    );
    const mounted = await lab.fetch(`${base}/v2/apps/copy/blobs/uploads/?mount=${d}&from=apps/web`, {
      method: 'POST',
      headers: { authorization: `Bearer ${both}` },
    });
    expect(mounted.status).toBe(201);
    expect(mounted.headers.get('location')).toBe(`/v2/apps/copy/blobs/${d}`);
    const only = await lab.token(lab.host.global(), 'repository:apps/other:pull,push', {
      roles: ['AcrPush'],
    });
    const refused = await lab.fetch(`${base}/v2/apps/other/blobs/uploads/?mount=${d}&from=apps/web`, {
      method: 'POST',
      headers: { authorization: `Bearer ${only}` },
    });
    expect(refused.status).toBe(202); // a plain upload session instead of a mount
  });

  it('a client that follows the challenge gets its cross-repository mount (201, not a plain upload)', async () => {
    const base = lab.base(lab.host.global());
    const d = img.layers[1]!.digest;
    const url = `${base}/v2/apps/follow/blobs/uploads/?mount=${d}&from=apps/web`;
    const bare = await lab.fetch(url, { method: 'POST' });
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toContain(
      'scope="repository:apps/follow:pull,push repository:apps/web:pull"',
    );
    // authFetch does what docker does: asks the realm for the challenge's scope, retries.
    const mounted = await lab.authFetch({ roles: ['AcrPush'] })(url, { method: 'POST' });
    expect(mounted.status).toBe(201);
    expect(mounted.headers.get('location')).toBe(`/v2/apps/follow/blobs/${d}`);
  });

  it('lists tags and a catalog restricted to the registry the host names', async () => {
    await pushImage(
      lab.base(lab.host.global('fabrikam')),
      'tools/cli',
      'v9',
      [randomLayer(512)],
      lab.authFetch({ admin: true }),
    );
    const c = lab.authFetch({ admin: true });
    const tags = await c(`${lab.base(lab.host.global())}/v2/apps/web/tags/list`);
    expect(await tags.json()).toEqual({ name: 'apps/web', tags: ['v1'] });
    const cat = await (await c(`${lab.base(lab.host.global())}/v2/_catalog`)).json();
    expect(cat.repositories).toContain('apps/web');
    expect(cat.repositories).not.toContain('tools/cli');
    const fab = await (await c(`${lab.base(lab.host.regional('eastus', 'fabrikam'))}/v2/_catalog`)).json();
    expect(fab).toEqual({ repositories: ['tools/cli'] });
    const page = await c(`${lab.base(lab.host.global())}/v2/_catalog?n=1`);
    expect((await page.json()).repositories).toHaveLength(1);
    expect(page.headers.get('link')).toMatch(/^<\/v2\/_catalog\?last=.+&n=1>; rel="next"$/);
  });

  it('deletes a manifest only with AcrDelete', async () => {
    const tmp = await pushImage(
      lab.base(lab.host.global()),
      'apps/tmp',
      'v1',
      [randomLayer(256)],
      lab.authFetch({ admin: true }),
    );
    const url = `${lab.base(lab.host.global())}/v2/apps/tmp/manifests/${tmp.manifestDigest}`;
    expect((await lab.authFetch({ roles: ['AcrPush'] })(url, { method: 'DELETE' })).status).toBe(401);
    expect((await lab.authFetch({ roles: ['AcrDelete'] })(url, { method: 'DELETE' })).status).toBe(202);
  });

  it('skopeo copies the image through the front (docker login with the admin user)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skopeo-'));
    try {
      const front = `${lab.topology.regions[0]!.frontIp}:${lab.port}`;
      const { stdout } = await run(
        'skopeo',
        ['inspect', '--tls-verify=false', '--creds', 'admin:pw', `docker://${front}/apps/web:v1`],
        { timeout: 30_000 },
      );
      expect(JSON.parse(stdout).Digest).toBe(img.manifestDigest);
      await run(
        'skopeo',
        [
          'copy',
          '--src-tls-verify=false',
          '--src-creds',
          'admin:pw',
          `docker://${front}/apps/web:v1`,
          `dir:${dir}`,
        ],
        { timeout: 30_000 },
      );
      for (const l of img.layers) {
        const bytes = readFileSync(join(dir, l.digest.slice(7)));
        expect(sha256(bytes)).toBe(l.digest);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
