/**
 * A whole image push from a VU, composed of uploadBlob and putManifest (upload.ts): every
 * layer, then the config, then the manifest by tag, as `docker push` orders them (the
 * manifest last, so a registry never holds a tag whose blobs it lacks). Layers are the
 * caller's bytes (fresh random ones per push in the race scenarios: k6/crypto's randomBytes),
 * digests from the caller's sha256 (k6/crypto), so nothing here imports k6.
 * A push that fails midway throws: the caller never counts it, and no tag was written.
 */
import { OCI_CONFIG, OCI_LAYER, OCI_MANIFEST } from '../../oci/media-types';
import type { VuHttp } from './http';
import { putManifest, type UploadOptions, uploadBlob } from './upload';

export interface PushSettings extends UploadOptions {
  base: string;
  repo: string;
  tag: string;
  layers: ArrayBuffer[];
  sha256hex(data: ArrayBuffer | string): string;
  auth: Record<string, string>;
}

export interface PushedImage {
  /** The digest the registry answered for the manifest (computed here if it did not). */
  digest: string;
  bytes: number;
  requests: number;
}

/** ASCII text as bytes (k6 has no TextEncoder everywhere; the config JSON is ASCII). */
function ascii(text: string): ArrayBuffer {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out.buffer as ArrayBuffer;
}

/** Pushes `layers` as one image `repo:tag`; returns the manifest digest. */
export function pushImage(http: VuHttp, s: PushSettings): PushedImage {
  let requests = 0;
  let bytes = 0;
  const descs: Array<{ mediaType: string; digest: string; size: number }> = [];
  for (const layer of s.layers) {
    const digest = `sha256:${s.sha256hex(layer)}`;
    requests += uploadBlob(http, s.base, s.repo, layer, digest, s.auth, s).requests;
    bytes += layer.byteLength;
    descs.push({ mediaType: OCI_LAYER, digest, size: layer.byteLength });
  }
  const config = ascii(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
      config: {},
    }),
  );
  const configDigest = `sha256:${s.sha256hex(config)}`;
  requests += uploadBlob(http, s.base, s.repo, config, configDigest, s.auth, s).requests;
  bytes += config.byteLength;
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.byteLength },
    layers: descs,
  });
  const answered = putManifest(http, s.base, s.repo, s.tag, manifest, OCI_MANIFEST, s.auth);
  requests++;
  return { digest: answered || `sha256:${s.sha256hex(manifest)}`, bytes: bytes + manifest.length, requests };
}
