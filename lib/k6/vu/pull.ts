/**
 * One cold pull, as containerd does it: token for repository:<repo>:pull, the manifest
 * (through an index to linux/amd64), then every blob `parallel` at a time, each through the
 * 307 to storage, sizes and (optionally) digests checked. Metrics are the caller's: it gets
 * each event through `hooks`.
 */
import type { RegistryCredentials } from '../../oci/token-flow';
import { checkedBody, checkedSize, getBlobs, type LayerCheck } from './blob';
import type { VuHttp } from './http';
import { resolveManifest } from './manifest';
import { parseRef } from './reference';
import { bearer, registryToken } from './token';

export interface PullSettings extends LayerCheck {
  base: string;
  image: string;
  /** Blobs fetched at once (containerd's default 3). */
  parallel: number;
  creds: RegistryCredentials;
}

export interface PullHooks {
  tokenRequest?(): void;
  redirect?(): void;
  /** A blob arrived intact: its data hop's duration (ms), config or layer, and size. */
  blob?(ms: number, kind: 'config' | 'layer', bytes: number): void;
}

/** Pulls the image; returns the bytes of every blob. Throws a PullError naming the failure. */
export function pullImage(http: VuHttp, s: PullSettings, hooks: PullHooks = {}): number {
  const ref = parseRef(s.image);
  const auth = bearer(
    registryToken(http, s.base, s.creds, [{ repo: ref.repo, actions: ['pull'] }], hooks.tokenRequest),
  );
  const { blobs } = resolveManifest(http, s.base, ref.repo, ref.reference, auth);
  const parallel = Math.max(1, Math.floor(s.parallel));
  let bytes = 0;
  for (let i = 0; i < blobs.length; i += parallel) {
    const batch = blobs.slice(i, i + parallel);
    // Without a digest to check, k6 keeps no body (responseType 'none'): with 1,000 VUs the
    // held bodies were most of k6's memory.
    const keep = s.sha256hex !== undefined;
    getBlobs(http, s.base, ref.repo, batch, auth, undefined, keep ? 'binary' : 'none').forEach(
      ({ res, redirected }, k) => {
        const d = batch[k] as (typeof batch)[number];
        if (redirected) hooks.redirect?.();
        const size = keep ? checkedBody(d, res, s).byteLength : checkedSize(d, res);
        bytes += size;
        hooks.blob?.(res.timings.duration, i + k === 0 ? 'config' : 'layer', size);
      },
    );
  }
  return bytes;
}
