/**
 * Where a layer's C copies live, and which backends a registry is "homed" on: rendezvous
 * (highest-random-weight) hashing over the region's backends. Deterministic from the key,
 * and changing C or M moves only the copies that must move: raising C from 2 to 3 keeps
 * the first two backends and adds one.
 */
import { createHash } from 'node:crypto';
import type { BackendAddr } from '../topology';

function weight(key: string, backendId: string): bigint {
  return createHash('sha256').update(`${key}\n${backendId}`).digest().readBigUInt64BE(0);
}

export function rendezvous<T extends Pick<BackendAddr, 'id'>>(
  key: string,
  backends: readonly T[],
  k: number,
): T[] {
  const n = Math.max(1, Math.min(Math.floor(k), backends.length));
  return backends
    .map((b) => ({ b, w: weight(key, b.id) }))
    .sort((x, y) => (x.w < y.w ? 1 : x.w > y.w ? -1 : 0))
    .slice(0, n)
    .map((x) => x.b);
}

/** The backends holding a copy of `digest` when every layer has `copies` copies. */
export const placement = <T extends Pick<BackendAddr, 'id'>>(
  digest: string,
  backends: readonly T[],
  copies: number,
): T[] => rendezvous(digest, backends, copies);

/** The backends registry `reg`'s data lives on in a region (what its deep health checks). */
export const homeBackends = <T extends Pick<BackendAddr, 'id'>>(
  reg: string,
  backends: readonly T[],
  k: number,
): T[] => rendezvous(`registry:${reg}`, backends, k);
