/**
 * Copies content between two regions' real registries with the OCI distribution API, the
 * way a geo-replication worker would: blobs the target lacks first (HEAD, then a streamed
 * GET -> PUT, paced by the target region's bandwidth), then child manifests, then the
 * manifest by digest. Every request carries REPLICATOR_AGENT so the target's notification
 * about our own write is recognised and not replicated back.
 */
import { RunError } from '../../errors';
import { MANIFEST_ACCEPT } from '../../oci/media-types';
import { REPLICATOR_AGENT } from './notifications';

const SMALL_TIMEOUT_MS = 10_000;
const MAX_DEPTH = 4;

export interface CopyContext {
  src: string;
  dst: string;
  /** Reserve link time for `bytes` (the target region's bandwidth). */
  pace(bytes: number): Promise<unknown>;
  /** Called right before the top-level manifest is written (the replicator holds it until the modelled landing). */
  beforePublish?(): Promise<void>;
  signal: AbortSignal;
  /** Bytes moved so far, for the backlog figure. */
  onBytes(bytes: number): void;
}

export interface Manifest {
  bytes: Uint8Array<ArrayBuffer>;
  mediaType: string;
}

function withTimeout(signal: AbortSignal, ms: number): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(ms)]);
}

async function call(url: string, init: RequestInit & { duplex?: 'half' }, signal: AbortSignal, ms: number) {
  const headers = new Headers(init.headers);
  headers.set('user-agent', REPLICATOR_AGENT);
  return fetch(url, { ...init, headers, signal: withTimeout(signal, ms) });
}

async function fail(res: Response, what: string): Promise<never> {
  const body = await res.text().catch(() => '');
  throw new RunError('REPLICATION_FAILED', `${what}: HTTP ${res.status} ${body.slice(0, 200)}`);
}

export async function hasBlob(base: string, repo: string, digest: string, signal: AbortSignal) {
  const res = await call(`${base}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' }, signal, SMALL_TIMEOUT_MS);
  await res.arrayBuffer();
  return res.status === 200;
}

export async function hasManifest(base: string, repo: string, ref: string, signal: AbortSignal) {
  const res = await call(
    `${base}/v2/${repo}/manifests/${ref}`,
    { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } },
    signal,
    SMALL_TIMEOUT_MS,
  );
  await res.arrayBuffer();
  return res.status === 200;
}

/** The manifest's exact bytes (its digest must survive the copy), or null if gone. */
export async function getManifest(
  base: string,
  repo: string,
  ref: string,
  signal: AbortSignal,
): Promise<Manifest | null> {
  const res = await call(
    `${base}/v2/${repo}/manifests/${ref}`,
    { headers: { accept: MANIFEST_ACCEPT } },
    signal,
    SMALL_TIMEOUT_MS,
  );
  if (res.status === 404) {
    await res.arrayBuffer();
    return null;
  }
  if (res.status !== 200) await fail(res, `GET manifest ${repo}@${ref}`);
  const mediaType = res.headers.get('content-type') ?? '';
  return { bytes: new Uint8Array(await res.arrayBuffer()), mediaType };
}

export async function putManifest(
  base: string,
  repo: string,
  ref: string,
  m: Manifest,
  signal: AbortSignal,
): Promise<void> {
  const res = await call(
    `${base}/v2/${repo}/manifests/${ref}`,
    { method: 'PUT', headers: { 'content-type': m.mediaType }, body: m.bytes },
    signal,
    SMALL_TIMEOUT_MS,
  );
  if (res.status !== 201) await fail(res, `PUT manifest ${repo}:${ref}`);
  await res.arrayBuffer();
}

/** true if deleted, false if the target did not have it. */
export async function deleteManifest(base: string, repo: string, digest: string, signal: AbortSignal) {
  const res = await call(
    `${base}/v2/${repo}/manifests/${digest}`,
    { method: 'DELETE' },
    signal,
    SMALL_TIMEOUT_MS,
  );
  if (res.status === 202 || res.status === 200) {
    await res.arrayBuffer();
    return true;
  }
  if (res.status === 404) {
    await res.arrayBuffer();
    return false;
  }
  return fail(res, `DELETE manifest ${repo}@${digest}`);
}

/** Streams one blob from src to dst (never buffered whole), paced by the target's bandwidth. */
export async function copyBlob(ctx: CopyContext, repo: string, digest: string): Promise<number> {
  // A blob copy's time is bounded by its size at the paced rate; the stop signal ends it early.
  const get = await call(`${ctx.src}/v2/${repo}/blobs/${digest}`, {}, ctx.signal, 30 * 60_000);
  if (get.status !== 200 || !get.body) await fail(get, `GET blob ${repo}@${digest}`);
  const start = await call(
    `${ctx.dst}/v2/${repo}/blobs/uploads/`,
    { method: 'POST' },
    ctx.signal,
    SMALL_TIMEOUT_MS,
  );
  if (start.status !== 202) {
    await get.body?.cancel();
    await fail(start, `start upload ${repo}`);
  }
  await start.arrayBuffer();
  const loc = start.headers.get('location');
  if (!loc) throw new RunError('REPLICATION_FAILED', `upload to ${repo}: 202 without Location`);
  const url = new URL(loc, ctx.dst);
  url.searchParams.set('digest', digest);
  let moved = 0;
  const paced = (get.body as ReadableStream<Uint8Array>).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, out) {
        await ctx.pace(chunk.byteLength);
        moved += chunk.byteLength;
        ctx.onBytes(chunk.byteLength);
        out.enqueue(chunk);
      },
    }),
  );
  const put = await call(
    url.toString(),
    {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: paced,
      duplex: 'half',
    },
    ctx.signal,
    30 * 60_000,
  );
  if (put.status !== 201) await fail(put, `PUT blob ${repo}@${digest}`);
  await put.arrayBuffer();
  return moved;
}

interface ParsedManifest {
  config?: { digest: string };
  layers?: Array<{ digest: string }>;
  blobs?: Array<{ digest: string }>;
  manifests?: Array<{ digest: string }>;
  fsLayers?: Array<{ blobSum: string }>;
}

/**
 * Copies the manifest `digest` and everything it references into dst (by digest; tags are
 * the caller's). Returns the bytes moved and the manifest, or null if src no longer has it.
 */
export async function copyManifest(
  ctx: CopyContext,
  repo: string,
  digest: string,
  depth = 0,
): Promise<{ bytes: number; manifest: Manifest } | null> {
  if (depth > MAX_DEPTH) throw new RunError('REPLICATION_FAILED', `${repo}@${digest}: index nested too deep`);
  const m = await getManifest(ctx.src, repo, digest, ctx.signal);
  if (!m) return null;
  let parsed: ParsedManifest;
  try {
    parsed = JSON.parse(new TextDecoder().decode(m.bytes)) as ParsedManifest;
  } catch {
    throw new RunError('REPLICATION_FAILED', `${repo}@${digest}: manifest is not JSON`);
  }
  let bytes = 0;
  for (const child of parsed.manifests ?? []) {
    if (await hasManifest(ctx.dst, repo, child.digest, ctx.signal)) continue;
    const copied = await copyManifest(ctx, repo, child.digest, depth + 1);
    if (!copied)
      throw new RunError('REPLICATION_FAILED', `${repo}@${child.digest}: child manifest missing in source`);
    bytes += copied.bytes;
  }
  const blobs = new Set<string>();
  if (parsed.config?.digest) blobs.add(parsed.config.digest);
  for (const l of [...(parsed.layers ?? []), ...(parsed.blobs ?? [])]) blobs.add(l.digest);
  for (const l of parsed.fsLayers ?? []) blobs.add(l.blobSum);
  for (const b of blobs) {
    if (await hasBlob(ctx.dst, repo, b, ctx.signal)) continue;
    bytes += await copyBlob(ctx, repo, b);
  }
  await ctx.pace(m.bytes.byteLength);
  ctx.onBytes(m.bytes.byteLength);
  if (depth === 0) await ctx.beforePublish?.();
  await putManifest(ctx.dst, repo, digest, m, ctx.signal);
  return { bytes: bytes + m.bytes.byteLength, manifest: m };
}
