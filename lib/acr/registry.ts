/**
 * Set-up and clean-up of a registry through the official SDK (@azure/container-registry):
 * seeding an image with ContainerRegistryContentClient (the OCI /v2/ API: works against any
 * ACR and the lab) and deleting what a run created. Listing and deleting repositories use
 * ACR's own /acr/v1 API (ContainerRegistryClient), which a real ACR and the lab's fronts
 * serve (in the lab: https on registry.tlsPort, trusting the lab CA through `tlsOptions`).
 */
import { Readable } from 'node:stream';
import {
  ContainerRegistryClient,
  type ContainerRegistryClientOptions,
  ContainerRegistryContentClient,
  type ContainerRegistryContentClientOptions,
  KnownManifestMediaType,
  type OciImageManifest,
} from '@azure/container-registry';
import type { TokenCredential } from '@azure/core-auth';
import { RunError } from '../errors';
import { randomLayer, sha256 } from '../oci/digest';
import { OCI_CONFIG, OCI_LAYER } from '../oci/media-types';

export const ACR_AUDIENCE = 'https://containerregistry.azure.net';

export function contentClient(
  endpoint: string,
  repo: string,
  credential: TokenCredential,
  options: ContainerRegistryContentClientOptions = {},
): ContainerRegistryContentClient {
  return new ContainerRegistryContentClient(endpoint, repo, credential, {
    audience: ACR_AUDIENCE,
    ...options,
  });
}

export function registryClient(
  endpoint: string,
  credential: TokenCredential,
  options: ContainerRegistryClientOptions = {},
): ContainerRegistryClient {
  return new ContainerRegistryClient(endpoint, credential, { audience: ACR_AUDIENCE, ...options });
}

export interface SdkPushed {
  digest: string;
  layers: Array<{ digest: string; size: number }>;
  manifest: OciImageManifest;
}

/** Pushes repo:tag with random incompressible layers through the SDK. */
export async function pushWithSdk(
  client: ContainerRegistryContentClient,
  tag: string,
  sizes: number[],
): Promise<SdkPushed> {
  const layers: Array<{ digest: string; size: number }> = [];
  for (const size of sizes) {
    const bytes = randomLayer(size);
    const { digest, sizeInBytes } = await client.uploadBlob(Readable.from([bytes]));
    layers.push({ digest, size: sizeInBytes });
  }
  const configBytes = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const config = await client.uploadBlob(Readable.from([configBytes]));
  if (config.digest !== sha256(configBytes))
    throw new RunError('DIGEST_INVALID', `config digest mismatch: registry answered ${config.digest}`);
  const manifest: OciImageManifest = {
    schemaVersion: 2,
    mediaType: KnownManifestMediaType.OciImageManifest,
    config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.sizeInBytes },
    layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: l.digest, size: l.size })),
  };
  const { digest } = await client.setManifest(manifest, { tag });
  return { digest, layers, manifest };
}

/** Deletes every repository whose name starts with `prefix` (a run's own scratch space). */
export async function deleteRepositories(client: ContainerRegistryClient, prefix: string): Promise<string[]> {
  const gone: string[] = [];
  for await (const name of client.listRepositoryNames()) {
    if (!name.startsWith(prefix)) continue;
    await client.deleteRepository(name);
    gone.push(name);
  }
  return gone;
}
