/**
 * Seeds an image into the lab's upstream registry only (`lab seed-upstream`, POST
 * /upstream/seed, the cache-stampede scenario's preparation): random incompressible layers,
 * pushed through the upstream's front as writes (never rate limited), so the downstream
 * registries start without it, as a Docker Hub image a cache rule has never pulled.
 */
import { fetch as undiciFetch } from 'undici';
import { InputError } from '../../errors';
import { randomLayer } from '../../oci/digest';
import { type FetchLike, type PushedImage, pushImage } from '../../oci/push';
import { splitImage } from '../seed';

/** Bounds what one API call makes the lab generate and hold. */
const MAX_TOTAL_BYTES = 2 ** 30;

export interface UpstreamSeedInput {
  image: string;
  layers: number[];
}

export function checkUpstreamSeed(body: unknown): UpstreamSeedInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new InputError('seed', 'an object {image: "repo:tag", layers: [bytes, ...]}', body);
  const { image, layers } = body as Record<string, unknown>;
  if (typeof image !== 'string') throw new InputError('image', 'repo:tag', image);
  splitImage(image);
  const expected = `a list of positive integer layer sizes in bytes, ${MAX_TOTAL_BYTES} in all at most`;
  if (
    !Array.isArray(layers) ||
    layers.length === 0 ||
    layers.some((s) => !Number.isInteger(s) || (s as number) < 1) ||
    (layers as number[]).reduce((a, b) => a + b, 0) > MAX_TOTAL_BYTES
  )
    throw new InputError('layers', expected, layers);
  return { image, layers: layers as number[] };
}

export async function seedUpstream(upstreamUrl: string, input: UpstreamSeedInput): Promise<PushedImage> {
  const { repo, tag } = splitImage(input.image);
  return pushImage(
    upstreamUrl,
    repo,
    tag,
    input.layers.map((s) => randomLayer(s)),
    undiciFetch as unknown as FetchLike,
  );
}
