/**
 * Manifest resolution as a puller does it: GET the reference with every manifest type in
 * Accept; an index (or Docker list) leads to its linux/amd64 entry, fetched by digest.
 */
import { type Descriptor, parseManifest, pickPlatform } from '../../oci/manifest';
import { MANIFEST_ACCEPT } from '../../oci/media-types';
import { failed, PullError } from './errors';
import type { VuHttp } from './http';

export interface Resolved {
  /** The image manifest's config and layers, in order (config first). */
  blobs: Descriptor[];
  /** How many manifest GETs it took (2 through an index). */
  requests: number;
}

export function resolveManifest(
  http: VuHttp,
  base: string,
  repo: string,
  reference: string,
  auth: Record<string, string>,
  platform?: { os: string; architecture: string },
): Resolved {
  let ref = reference;
  // An index names manifests, never another index a puller would follow: two hops at most.
  for (let requests = 1; requests <= 2; requests++) {
    const res = http.request('GET', `${base}/v2/${repo}/manifests/${ref}`, null, {
      headers: { ...auth, accept: MANIFEST_ACCEPT },
      tags: { step: 'manifest' },
    });
    if (res.status !== 200) throw failed(`manifest ${ref}`, res);
    const parsed = parseManifest(
      String(res.body),
      res.headers['Content-Type'] ?? res.headers['content-type'],
    );
    if (parsed.kind === 'manifest') return { blobs: [parsed.config, ...parsed.layers], requests };
    const m = pickPlatform(parsed.manifests, platform);
    if (!m) throw new PullError('MANIFEST_UNKNOWN', 'no linux/amd64 manifest in the index');
    ref = m.digest;
  }
  throw new PullError('MANIFEST_INVALID', `manifest ${reference}: an index pointing at an index`);
}
