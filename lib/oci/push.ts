/**
 * Pushes an image with the OCI distribution API (monolithic blob uploads, then the
 * manifest): enough to seed registries for tests, benches and the demo. Auth is added by
 * wrapping `fetchImpl` (see lib/oci/auth-fetch.ts), not by flags here.
 */
import { RunError } from '../errors';
import { sha256 } from './digest';
import { OCI_CONFIG, OCI_LAYER, OCI_MANIFEST } from './media-types';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export interface PushedImage {
  repo: string;
  tag: string;
  manifestDigest: string;
  manifest: string;
  layers: Array<{ digest: string; size: number }>;
  config: { digest: string; size: number };
}

async function expect(res: Response, ok: number[], what: string): Promise<Response> {
  if (!ok.includes(res.status)) {
    const body = await res.text().catch(() => '');
    throw new RunError('PUSH_FAILED', `${what}: HTTP ${res.status} ${body.slice(0, 300)}`);
  }
  return res;
}

export async function pushBlob(
  base: string,
  repo: string,
  data: Uint8Array,
  f: FetchLike = fetch,
): Promise<string> {
  const digest = sha256(data);
  const head = await f(`${base}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  if (head.status === 200) return digest;
  const start = await expect(
    await f(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' }),
    [202],
    `start upload to ${repo}`,
  );
  await start.arrayBuffer();
  const loc = start.headers.get('location');
  if (!loc) throw new RunError('PUSH_FAILED', `upload to ${repo}: 202 without Location`);
  const url = new URL(loc, base);
  url.searchParams.set('digest', digest);
  const put = await f(url.toString(), {
    method: 'PUT',
    // No explicit content-length: fetch sets it from the bytes, and once undici 7 is loaded in
    // a process (it installs its agent as the global dispatcher) Node 20's own fetch refuses
    // one given by hand ("invalid content-length header").
    headers: { 'content-type': 'application/octet-stream' },
    body: data as Uint8Array<ArrayBuffer>,
  });
  await (await expect(put, [201], `upload ${digest} to ${repo}`)).arrayBuffer();
  return digest;
}

export async function pushImage(
  base: string,
  repo: string,
  tag: string,
  layers: Uint8Array[],
  f: FetchLike = fetch,
): Promise<PushedImage> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
      config: {},
    }),
  );
  const pushed: PushedImage['layers'] = [];
  for (const layer of layers)
    pushed.push({ digest: await pushBlob(base, repo, layer, f), size: layer.byteLength });
  const configDigest = await pushBlob(base, repo, config, f);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.byteLength },
    layers: pushed.map((l) => ({ mediaType: OCI_LAYER, digest: l.digest, size: l.size })),
  });
  const res = await f(`${base}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': OCI_MANIFEST },
    body: manifest,
  });
  await (await expect(res, [201], `manifest ${repo}:${tag}`)).arrayBuffer();
  return {
    repo,
    tag,
    manifestDigest: sha256(manifest),
    manifest,
    layers: pushed,
    config: { digest: configDigest, size: config.byteLength },
  };
}
