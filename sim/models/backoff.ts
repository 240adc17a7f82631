/**
 * Client retry delay after a throttled (503) read: exponential doubling from `baseS`
 * capped at `capS`, of which a share `jitter` is drawn uniformly: delay = d(1 - jitter) +
 * U(0, d x jitter), d = min(capS, baseS x 2^attempt). jitter 0.5 is "equal jitter", 1 "full
 * jitter" (uniform over [0, d]). The doubling and the cap follow kubelet's image-pull
 * back-off; the jitter keeps the fleet that was throttled together from retrying in
 * lock-step (a pure doubling would re-create the burst), and it sets how unequal the cost
 * of a refused read is from node to node: with full jitter most refusals cost little and a
 * few cost up to d.
 */
import type { Rng } from '../kernel';

export function backoffDelay(attempt: number, baseS: number, capS: number, jitter: number, rng: Rng): number {
  const d = Math.min(capS, baseS * 2 ** Math.max(0, attempt));
  return d * (1 - jitter) + rng.uniform(0, d * jitter);
}
