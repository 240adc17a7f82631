/**
 * Registry errors passed through the front show only the client's own names (issue 12
 * item 3): the real registry stores lab registry contoso's repository apps/web as
 * contoso/apps/web and its 500s quote paths under its storage root; neither may reach a
 * client. Real registry, real front; the 500 is caused by a corrupt tag link on disk.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sanitizeErrorBody } from '../../lib/lab/front/error-body';
import { randomLayer } from '../../lib/oci/digest';
import { OCI_MANIFEST } from '../../lib/oci/media-types';
import { pushImage } from '../../lib/oci/push';
import { type RegionFixture, startRegionFixture } from './helpers/region-fixture';

describe('sanitizeErrorBody', () => {
  it('drops the registry prefix from names and hides storage paths', () => {
    const body = JSON.stringify({
      errors: [
        {
          code: 'NAME_UNKNOWN',
          message: 'repository name not known to registry',
          detail: { name: 'contoso/apps/web' },
        },
        {
          code: 'UNKNOWN',
          message: 'unknown error',
          detail:
            'open /x/.lab/lab/regions/eastus/registry/docker/registry/v2/repositories/contoso/apps/web/_manifests/tags/v1/current/link: bad',
        },
        { code: 'X', message: 'contoso/contoso/x and contosox/y stay as the client named them' },
      ],
    });
    const clean = sanitizeErrorBody(body, 'contoso');
    expect(clean).not.toMatch(/"contoso\/apps|\/docker\/registry|\.lab/);
    expect(JSON.parse(clean).errors[0].detail.name).toBe('apps/web');
    expect(JSON.parse(clean).errors[1].detail).toBe('open (registry storage): bad');
    expect(JSON.parse(clean).errors[2].message).toBe(
      'contoso/x and contosox/y stay as the client named them',
    );
  });
});

describe('registry errors through the front', () => {
  let lab: RegionFixture;
  beforeAll(async () => {
    lab = await startRegionFixture({
      slot: 23,
      names: ['contoso'],
      tree: { registry: { adminPassword: 'pw' }, storage: { redirectHost: 'ip' } },
    });
    await pushImage(
      lab.base(lab.host.global()),
      'apps/web',
      'v1',
      [randomLayer(512)],
      lab.authFetch({ admin: true }),
    );
  });
  afterAll(() => lab?.stop());

  const leaks = (text: string) => {
    expect(text).not.toContain('contoso/');
    expect(text).not.toContain('/docker/registry');
    expect(text).not.toContain(lab.registries.eastus!.root);
  };

  it('MANIFEST_UNKNOWN names the repository as the client did', async () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    const r = await lab.authFetch({ admin: true })(
      `${lab.base(lab.host.global())}/v2/apps/web/manifests/${digest}`,
      { headers: { accept: OCI_MANIFEST } },
    );
    expect(r.status).toBe(404);
    const text = await r.text();
    const e = JSON.parse(text).errors[0];
    expect(e.code).toBe('MANIFEST_UNKNOWN');
    expect(e.detail).toEqual({ Name: 'apps/web', Revision: digest });
    leaks(text);
  });

  it('NAME_UNKNOWN for a repository that does not exist', async () => {
    const r = await lab.authFetch({ admin: true })(`${lab.base(lab.host.global())}/v2/apps/none/tags/list`);
    expect(r.status).toBe(404);
    const text = await r.text();
    expect(JSON.parse(text).errors[0].code).toBe('NAME_UNKNOWN');
    leaks(text);
  });

  it("a 500 quoting the registry's storage path shows no path and no prefix", async () => {
    // A tag link the registry cannot read (a directory): it answers 500 with the path in the detail.
    const link = join(
      lab.registries.eastus!.root,
      'docker/registry/v2/repositories/contoso/apps/web/_manifests/tags/broken/current/link',
    );
    mkdirSync(link, { recursive: true });
    const r = await lab.authFetch({ admin: true })(
      `${lab.base(lab.host.global())}/v2/apps/web/manifests/broken`,
      {
        headers: { accept: OCI_MANIFEST },
      },
    );
    const text = await r.text();
    expect(r.status, text).toBe(500);
    expect(JSON.parse(text).errors[0].detail.Enclosed.Path).toBe('(registry storage)');
    leaks(text);
  });
});
