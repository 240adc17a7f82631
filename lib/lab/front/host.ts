/**
 * Which registry and which of its endpoints a request is for, from its Host header:
 *   <reg>.<domain>                 global (Traffic Manager target: any region's front)
 *   <reg>.<region>.geo.<domain>    regional (this region only)
 *   <reg>.<region>.data.<domain>   data endpoint (this region only)
 * A bare IP (a client without the lab's DNS, e.g. skopeo against the front's address) is
 * taken as the first registry's global name, so plain-loopback clients still work.
 */
import { isIP } from 'node:net';
import type { LabState } from '../state';
import type { RegionAddr } from '../topology';

export type EndpointKind = 'global' | 'regional' | 'data';
export interface Endpoint {
  reg: string;
  kind: EndpointKind;
}

export function hostName(hostHeader: string | undefined): string {
  const h = (hostHeader ?? '').toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  return h.replace(/:\d+$/, '');
}

export function parseHost(
  hostHeader: string | undefined,
  state: LabState,
  region: RegionAddr,
): Endpoint | null {
  const host = hostName(hostHeader);
  const { names, domain } = state.config.registry;
  if (host === '' || host === 'localhost' || isIP(host)) return { reg: names[0]!, kind: 'global' };
  const suffix = `.${domain}`;
  if (!host.endsWith(suffix)) return null;
  const labels = host.slice(0, -suffix.length).split('.');
  const reg = labels[0]!;
  if (!names.includes(reg)) return null;
  if (labels.length === 1) return { reg, kind: 'global' };
  const data = labels[2] === 'data' && state.config.registry.dataEndpoints;
  if (labels.length === 3 && labels[1] === region.name && (labels[2] === 'geo' || data))
    return { reg, kind: labels[2] === 'geo' ? 'regional' : 'data' };
  return null;
}
