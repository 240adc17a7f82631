/**
 * Runtime M: of the storage.backends started per region, only the first `state.storage.backends`
 * hold copies. Blob 307s spread over exactly the active backends, an inactive backend
 * refuses to serve (it holds no copy), and a change applies to the next request.
 * Validation (PUT /storage, `lab storage --backends`) names the field it refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors';
import { blobUrlPath } from '../../lib/lab/storage';
import { checkStoragePatch } from '../../lib/lab/supervisor';
import { randomLayer } from '../../lib/oci/digest';
import { pushImage } from '../../lib/oci/push';
import { type RegionFixture, startRegionFixture } from './helpers/region-fixture';

let lab: RegionFixture;
let digests: string[];

beforeAll(async () => {
  lab = await startRegionFixture({
    slot: 7,
    tree: { storage: { backends: 4, copies: 1, selection: 'round-robin', redirectHost: 'ip' } },
  });
  const f = lab.authFetch({ roles: ['AcrPush'] });
  const layers = Array.from({ length: 30 }, () => randomLayer(1024));
  const img = await pushImage(lab.base(lab.host.global()), 'spread/m', 'v1', layers, f);
  digests = img.layers.map((l) => l.digest);
}, 60_000);
afterAll(async () => {
  await lab?.stop();
});

/** Which backend IPs the front's 307s point at, one GET per layer. */
async function targets(): Promise<Set<string>> {
  const f = lab.authFetch({ roles: ['AcrPull'] });
  const out = new Set<string>();
  for (const d of digests) {
    const r = await f(`${lab.base(lab.host.global())}/v2/spread/m/blobs/${d}`, { redirect: 'manual' });
    expect(r.status).toBe(307);
    await r.arrayBuffer();
    out.add(new URL(r.headers.get('location')!).hostname);
  }
  return out;
}

describe('runtime active backends (M)', () => {
  const ips = () => lab.topology.regions[0]!.backends.map((b) => b.ip);

  it('spreads copies over exactly the active backends, and follows a change at once', async () => {
    lab.state.storage = checkStoragePatch({ backends: 2 }, lab.state.config, lab.state.storage);
    expect([...(await targets())].sort()).toEqual(ips().slice(0, 2).sort());
    lab.state.storage = checkStoragePatch({ backends: 3 }, lab.state.config, lab.state.storage);
    expect([...(await targets())].sort()).toEqual(ips().slice(0, 3).sort());
    lab.state.storage = checkStoragePatch({ backends: 4, copies: 4 }, lab.state.config, lab.state.storage);
    expect([...(await targets())].sort()).toEqual(ips().sort());
    lab.state.storage = checkStoragePatch({ copies: 1 }, lab.state.config, lab.state.storage);
  });

  it('an inactive backend holds no copy: a signed GET for any layer is 404 BlobNotFound', async () => {
    lab.state.storage = checkStoragePatch({ backends: 1 }, lab.state.config, lab.state.storage);
    const b3 = lab.topology.regions[0]!.backends[3]!;
    const b0 = lab.topology.regions[0]!.backends[0]!;
    for (const d of digests.slice(0, 5)) {
      const path = blobUrlPath(d);
      const at = async (b: typeof b3) => {
        const sas = lab.signer.sign('GET', b.ip, path, 60);
        const r = await lab.fetch(`http://${b.ip}:${b.port}${path}?${sas}`);
        await r.arrayBuffer();
        return r;
      };
      const inactive = await at(b3);
      expect(inactive.status).toBe(404);
      expect(inactive.headers.get('x-ms-error-code')).toBe('BlobNotFound');
      expect((await at(b0)).status).toBe(200);
    }
    lab.state.storage = checkStoragePatch({ backends: 4 }, lab.state.config, lab.state.storage);
  });

  it('refuses copies > active backends and M outside 1..storage.backends, naming the field', () => {
    const cfg = lab.state.config;
    const cur = { ...lab.state.storage, backends: 2, copies: 2 };
    const field = (patch: unknown) => {
      try {
        checkStoragePatch(patch, cfg, cur);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as InputError).field;
      }
      return null;
    };
    expect(field({ backends: 1 })).toBe('storage.backends'); // would leave 2 copies on 1 backend
    expect(field({ copies: 3 })).toBe('storage.copies');
    expect(field({ backends: 5 })).toBe('storage.backends'); // only 4 started
    expect(field({ backends: 0 })).toBe('storage.backends');
    expect(field({ backends: 'two' })).toBe('storage.backends');
    expect(field({ backends: 1, copies: 1 })).toBeNull();
    expect(checkStoragePatch({ backends: 3, copies: 3 }, cfg, cur)).toMatchObject({ backends: 3, copies: 3 });
  });
});
