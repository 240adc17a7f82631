/**
 * Client retry delay after a throttled (503) read: exponential doubling from `baseS`
 * capped at `capS`, with "equal jitter" (half fixed, half uniform). The doubling and the
 * cap follow kubelet's image-pull back-off; the jitter keeps the fleet that was throttled
 * together from retrying in lock-step (a pure doubling would re-create the burst).
 */
import type { Rng } from '../kernel';

export function backoffDelay(attempt: number, baseS: number, capS: number, rng: Rng): number {
  const d = Math.min(capS, baseS * 2 ** Math.max(0, attempt));
  return d / 2 + rng.uniform(0, d / 2);
}
