/**
 * Blob GETs the way a container runtime does them: ask the registry (with its token), and
 * follow its 307 to the storage backend WITHOUT the Authorization header (the token is the
 * registry's, and storage refuses requests that carry one). The hop is sent here rather than
 * by k6 so it is a request of its own, named by its URL stripped of the signature.
 */
import type { Descriptor } from '../../oci/manifest';
import { failed, PullError } from './errors';
import type { VuHttp, VuResponse } from './http';
import { safeUrl } from './naming';

export interface BlobResult {
  res: VuResponse;
  /** Whether the registry redirected (the body came from storage). */
  redirected: boolean;
}

const isRedirect = (s: number) => s >= 301 && s <= 308 && s !== 304;

/** Resolves a Location against the registry base (registries may answer a path). */
export function hopUrl(base: string, location: string): string {
  if (/^https?:\/\//i.test(location)) return location;
  return `${base}${location.startsWith('/') ? '' : '/'}${location}`;
}

/** GETs `blobs` at once (one http.batch per hop); answers in the same order. */
export function getBlobs(
  http: VuHttp,
  base: string,
  repo: string,
  blobs: Array<{ digest: string }>,
  auth: Record<string, string>,
  timeout?: string,
  /** 'none' when the body is not checked: k6 reads and counts it but keeps nothing (memory). */
  responseType: 'binary' | 'none' = 'binary',
): BlobResult[] {
  const first = http.batch(
    blobs.map((d) => ({
      method: 'GET',
      url: `${base}/v2/${repo}/blobs/${d.digest}`,
      params: {
        headers: auth,
        redirects: 0,
        responseType,
        tags: { step: 'blob' },
        ...(timeout ? { timeout } : {}),
      },
    })),
  );
  const out: BlobResult[] = first.map((res) => ({ res, redirected: false }));
  const hops: Array<{ k: number; url: string }> = [];
  first.forEach((res, k) => {
    const location = isRedirect(res.status) ? (res.headers.Location ?? res.headers.location) : undefined;
    if (location) hops.push({ k, url: hopUrl(base, location) });
  });
  if (hops.length === 0) return out;
  const second = http.batch(
    hops.map((h) => ({
      method: 'GET',
      url: h.url,
      // No headers at all: the registry's Authorization stays with the registry.
      params: {
        redirects: 0,
        responseType,
        tags: { step: 'blob-data', name: safeUrl(h.url) },
        ...(timeout ? { timeout } : {}),
      },
    })),
  );
  hops.forEach((h, i) => {
    out[h.k] = { res: second[i] as VuResponse, redirected: true };
  });
  return out;
}

export interface LayerCheck {
  /** sha256 of the body in hex, when digests are verified (k6/crypto in k6). */
  sha256hex?: (body: ArrayBuffer) => string;
}

/**
 * The size of a blob fetched with responseType 'none' (no body kept): k6 has read it all,
 * so its Content-Length (the storage answer's, which Azure and the lab always send) is what
 * arrived. Checked against the descriptor like a body's length.
 */
export function checkedSize(d: Descriptor, res: VuResponse): number {
  const short = d.digest.slice(7, 19);
  if (res.status !== 200) throw failed(`blob ${short}`, res);
  const header = res.headers['Content-Length'] ?? res.headers['content-length'];
  // A server that sends no length (chunked) leaves only the body to count, if one was kept.
  const body = res.body as ArrayBuffer | string | null | undefined;
  const n =
    header !== undefined
      ? Number(header)
      : body instanceof ArrayBuffer
        ? body.byteLength
        : typeof body === 'string'
          ? body.length
          : Number.NaN;
  if (n !== d.size) throw new PullError('SIZE_INVALID', `blob ${short}: ${n} bytes, want ${d.size}`);
  return n;
}

/** The body of a fetched blob after checking status, size and (optionally) digest. */
export function checkedBody(d: Descriptor, res: VuResponse, c: LayerCheck = {}): ArrayBuffer {
  const short = d.digest.slice(7, 19);
  if (res.status !== 200) throw failed(`blob ${short}`, res);
  const body = (res.body as ArrayBuffer | null) ?? new ArrayBuffer(0);
  if (body.byteLength !== d.size)
    throw new PullError('SIZE_INVALID', `blob ${short}: ${body.byteLength} bytes, want ${d.size}`);
  if (c.sha256hex && `sha256:${c.sha256hex(body)}` !== d.digest)
    throw new PullError('DIGEST_INVALID', `blob ${short}: digest mismatch`);
  return body;
}
