/**
 * The one reader of OCI error bodies (`{"errors":[{"code":"MANIFEST_UNKNOWN",...}]}`), for
 * Node code (fetch) and k6 code (lib/k6/vu) alike. Pure and dependency-free: k6 bundles it.
 */

/** Error bodies are small JSON; a blob GET's body may be megabytes of layer: look at the start only. */
const MAX_SCAN = 64 * 1024;

function text(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  // k6 hands binary responses over as ArrayBuffer. Error bodies are ASCII JSON.
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    const bytes =
      body instanceof ArrayBuffer
        ? new Uint8Array(body, 0, Math.min(body.byteLength, MAX_SCAN))
        : new Uint8Array(body.buffer, body.byteOffset, Math.min(body.byteLength, MAX_SCAN));
    if (bytes[0] !== 0x7b) return undefined; // not '{': not an error body
    let out = '';
    for (const b of bytes) out += String.fromCharCode(b);
    return out;
  }
  return undefined;
}

/** The first error code of an OCI error body, or undefined when the body is not one. */
export function ociErrorCode(body: unknown): string | undefined {
  const t = text(body);
  if (!t || t.length > MAX_SCAN || t.trimStart()[0] !== '{') return undefined;
  try {
    const code = (JSON.parse(t) as { errors?: Array<{ code?: unknown }> }).errors?.[0]?.code;
    return typeof code === 'string' && code !== '' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** A header of a plain record, whatever its case (k6 canonicalizes names, Node lower-cases them). */
export function headerOf(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const want = name.toLowerCase();
  for (const k of Object.keys(headers)) if (k.toLowerCase() === want) return headers[k];
  return undefined;
}

/**
 * The code of a failed response, most specific first: a transport failure (status 0, k6's
 * error_code), Azure Storage's x-ms-error-code, the OCI error code of the body, the status.
 */
export function responseErrorCode(res: {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  error_code?: number;
}): string {
  if (res.status === 0) return `NETWORK_${res.error_code ?? 0}`;
  return headerOf(res.headers, 'X-Ms-Error-Code') ?? ociErrorCode(res.body) ?? `HTTP_${res.status}`;
}

/**
 * Throttling and nothing else: a registry's 429 TOOMANYREQUESTS or a storage backend's 503
 * ServerBusy. Any other 503 (a region that is down answers UNAVAILABLE) is an error, counted
 * by its code, not throttling (issue 12 item 12).
 */
export function isThrottle(res: { status: number; headers?: Record<string, string> }): boolean {
  return (
    res.status === 429 || (res.status === 503 && headerOf(res.headers, 'X-Ms-Error-Code') === 'ServerBusy')
  );
}
