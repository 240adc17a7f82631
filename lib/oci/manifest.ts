/**
 * Manifest and index parsing for pullers: which blobs an image reference needs.
 * Pure and dependency-free: the k6 scenarios bundle it.
 */
import { StampedeError } from '../errors';
import { DOCKER_LIST, OCI_INDEX } from './media-types';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export type Parsed =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[] }
  | { kind: 'manifest'; mediaType: string; config: Descriptor; layers: Descriptor[] };

/** A manifest a puller cannot use (not JSON, no layers, a bad descriptor). */
export class ManifestError extends StampedeError {
  constructor(message: string) {
    super('MANIFEST_INVALID', message);
  }
}

function descriptor(v: unknown, where: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (
    !d ||
    typeof d.digest !== 'string' ||
    typeof d.size !== 'number' ||
    !/^sha256:[a-f0-9]{64}$/.test(d.digest)
  )
    throw new ManifestError(`${where}: not a descriptor`);
  return {
    mediaType: typeof d.mediaType === 'string' ? d.mediaType : '',
    digest: d.digest,
    size: d.size,
    ...(d.platform ? { platform: d.platform } : {}),
  };
}

/** `contentType` is the response's Content-Type; the body's mediaType wins when present. */
export function parseManifest(text: string, contentType?: string | null): Parsed {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ManifestError('manifest is not JSON');
  }
  const mediaType = (typeof j.mediaType === 'string' ? j.mediaType : (contentType ?? '').split(';')[0]) ?? '';
  if (mediaType === OCI_INDEX || mediaType === DOCKER_LIST || (Array.isArray(j.manifests) && !j.layers)) {
    const ms = Array.isArray(j.manifests) ? j.manifests : [];
    return { kind: 'index', mediaType, manifests: ms.map((m, i) => descriptor(m, `manifests[${i}]`)) };
  }
  if (!Array.isArray(j.layers)) throw new ManifestError('manifest has no layers');
  return {
    kind: 'manifest',
    mediaType,
    config: descriptor(j.config, 'config'),
    layers: j.layers.map((l, i) => descriptor(l, `layers[${i}]`)),
  };
}

/** The index entry a node of `os/architecture` would pull (like containerd's default matcher). */
export function pickPlatform(
  manifests: Descriptor[],
  want: { os: string; architecture: string } = { os: 'linux', architecture: 'amd64' },
): Descriptor | null {
  return (
    manifests.find((m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture) ??
    null
  );
}
