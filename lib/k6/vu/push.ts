/**
 * A whole image push from a VU, composed of uploadBlob and putManifest (upload.ts): the
 * config, every layer, then the manifest by tag (the manifest last, so a registry never holds
 * a tag whose blobs it lacks). Blobs are the caller's bytes with the caller's digests (k6/crypto:
 * fresh random layers per push in the race scenarios), so nothing here imports k6.
 * A push that fails midway throws: the caller never counts it, and no tag was written.
 */
import { OCI_CONFIG, OCI_LAYER, OCI_MANIFEST } from '../../oci/media-types';
import { PullError } from './errors';
import type { VuHttp } from './http';
import { putManifest, type UploadOptions, uploadBlob } from './upload';

export interface PushBlob {
  data: ArrayBuffer;
  /** sha256:<hex> */
  digest: string;
}

export interface PushSettings extends UploadOptions {
  base: string;
  repo: string;
  tag: string;
  /** Default: a minimal linux/amd64 config (then every push of the same layers is one image). */
  config?: PushBlob;
  layers: readonly PushBlob[];
  /** sha256 hex of a string: the manifest's digest, which the registry must answer with. */
  sha256hex(text: string): string;
  auth: Record<string, string>;
}

export interface PushedImage {
  /** The manifest's digest (the registry answered the same one). */
  digest: string;
  bytes: number;
  requests: number;
}

/** ASCII text as bytes (k6's runtime has no TextEncoder; config JSON is ASCII). */
export function ascii(text: string): ArrayBuffer {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out.buffer as ArrayBuffer;
}

const MINIMAL_CONFIG = JSON.stringify({
  architecture: 'amd64',
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [] },
  config: {},
});

/** An OCI image manifest for a config blob and layers (sizes from the bytes). */
export function imageManifest(config: PushBlob, layers: readonly PushBlob[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.data.byteLength },
    layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: l.digest, size: l.data.byteLength })),
  });
}

/**
 * Pushes `layers` as one image `repo:tag`. Throws on the first failed request, and with
 * DIGEST_INVALID when the registry answers another manifest digest than the one pushed.
 */
export function pushImage(http: VuHttp, s: PushSettings): PushedImage {
  const config = s.config ?? {
    data: ascii(MINIMAL_CONFIG),
    digest: `sha256:${s.sha256hex(MINIMAL_CONFIG)}`,
  };
  let requests = 0;
  let bytes = 0;
  for (const b of [config, ...s.layers]) {
    requests += uploadBlob(http, s.base, s.repo, b.data, b.digest, s.auth, s).requests;
    bytes += b.data.byteLength;
  }
  const manifest = imageManifest(config, s.layers);
  const digest = `sha256:${s.sha256hex(manifest)}`;
  const answered = putManifest(http, s.base, s.repo, s.tag, manifest, OCI_MANIFEST, s.auth);
  if (answered && answered !== digest)
    throw new PullError('DIGEST_INVALID', `manifest answered ${answered}, pushed ${digest}`);
  return { digest, bytes: bytes + manifest.length, requests: requests + 1 };
}
