/** Content addressing shared by every OCI piece (Node side). */
import { createHash, randomBytes } from 'node:crypto';

export const sha256 = (data: Uint8Array | string): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Incompressible layer bytes: a compressing proxy or disk can't make a pull look faster than it is. */
export function randomLayer(size: number): Buffer {
  return randomBytes(size);
}
