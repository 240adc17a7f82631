/**
 * Pushing from a VU: blob uploads (monolithic: POST then one PUT with the bytes; chunked:
 * POST, a PATCH per chunk with its Content-Range, then the closing PUT) and the manifest PUT,
 * as the OCI distribution spec describes them. Upload locations carry the registry's upload
 * state in their query: requests are named without it (withSafeNames).
 */

import { hopUrl } from './blob';
import { failed, PullError } from './errors';
import type { VuHttp } from './http';

export interface UploadOptions {
  /** Bytes per PATCH; 0 or absent: one monolithic PUT. */
  chunkSize?: number;
}

const withDigest = (loc: string, digest: string) =>
  `${loc}${loc.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;

function location(base: string, res: { headers: Record<string, string> }, what: string): string {
  const loc = res.headers.Location ?? res.headers.location;
  if (!loc) throw new PullError('UPLOAD_INVALID', `${what}: answer without Location`);
  return hopUrl(base, loc);
}

/** Uploads `data` (whose digest the caller computed) to `repo`; returns the requests it took. */
export function uploadBlob(
  http: VuHttp,
  base: string,
  repo: string,
  data: ArrayBuffer,
  digest: string,
  auth: Record<string, string>,
  o: UploadOptions = {},
): { requests: number } {
  const start = http.request('POST', `${base}/v2/${repo}/blobs/uploads/`, null, {
    headers: auth,
    tags: { step: 'upload-start' },
  });
  if (start.status !== 202) throw failed(`upload to ${repo}`, start);
  let loc = location(base, start, `upload to ${repo}`);
  let requests = 1;
  const chunk = o.chunkSize && o.chunkSize > 0 ? o.chunkSize : 0;
  if (chunk > 0) {
    for (let at = 0; at < data.byteLength; at += chunk) {
      const part = data.slice(at, Math.min(data.byteLength, at + chunk));
      const res = http.request('PATCH', loc, part, {
        headers: {
          ...auth,
          'content-type': 'application/octet-stream',
          'content-range': `${at}-${at + part.byteLength - 1}`,
        },
        tags: { step: 'upload-chunk' },
      });
      requests++;
      if (res.status !== 202) throw failed(`upload chunk at ${at}`, res);
      loc = location(base, res, `upload chunk at ${at}`);
    }
  }
  const put = http.request('PUT', withDigest(loc, digest), chunk > 0 ? null : data, {
    headers: { ...auth, 'content-type': 'application/octet-stream' },
    tags: { step: 'upload' },
  });
  requests++;
  if (put.status !== 201) throw failed(`upload ${digest.slice(7, 19)}`, put);
  return { requests };
}

/** PUTs a manifest; returns the digest the registry computed (Docker-Content-Digest). */
export function putManifest(
  http: VuHttp,
  base: string,
  repo: string,
  reference: string,
  manifest: string,
  mediaType: string,
  auth: Record<string, string>,
): string {
  const res = http.request('PUT', `${base}/v2/${repo}/manifests/${reference}`, manifest, {
    headers: { ...auth, 'content-type': mediaType },
    tags: { step: 'manifest-put' },
  });
  if (res.status !== 201) throw failed(`manifest ${repo}:${reference}`, res);
  return res.headers['Docker-Content-Digest'] ?? res.headers['docker-content-digest'] ?? '';
}
