/**
 * What a cold-pull run will send to a real registry, for the plan shown before it starts
 * (lib/k6/plan.ts). Per pull (lib/k6/vu/pull.ts): GET /v2/ (the 401 challenge), one token
 * request, the manifest (two when the tag names an index), then every blob (config and
 * layers) through the registry's 307 to storage: two requests a blob. How many blobs and
 * how many bytes is the image's business, unknown until its manifest is read.
 */
import type { ScenarioPlan } from '../plan';
import type { ColdPullParams } from './params';

export function coldPullPlan(p: ColdPullParams, base: string): ScenarioPlan {
  const pulls = p.vus * p.iterations;
  const sep = p.image.includes('@') ? '@' : ':';
  const at = p.image.lastIndexOf(sep);
  const repo = p.image.slice(0, at);
  const ref = p.image.slice(at + 1);
  // Fixed per pull: ping, token, manifest (an index adds one), and at least one config blob
  // and one layer, each a 307 then a storage GET.
  const floor = pulls * (3 + 2 * 2);
  return {
    endpoints: [
      `GET  ${base}/v2/  (401 challenge, once a pull)`,
      `GET/POST <token realm from the challenge>  (one token request a pull)`,
      `GET  ${base}/v2/${repo}/manifests/${ref}  (and the linux/amd64 manifest if it is an index)`,
      `GET  ${base}/v2/${repo}/blobs/<digest>  -> 307 -> GET <storage URL>  (config and every layer, ${p.parallelLayers} at a time)`,
    ],
    requests: `≥ ${floor} (${pulls} pulls = ${p.vus} VUs × ${p.iterations}; per pull 3 + 2 per blob, blob count unknown; up to ${p.maxRetries} retries a request on 429/503)`,
    bytes: `${pulls} × image size (image size unknown until its manifest is read)`,
  };
}
