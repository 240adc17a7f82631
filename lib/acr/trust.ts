/**
 * Where credentials may go (issue 12 item 1). An Azure AD access token for the registry
 * audience is good at every registry the identity can reach, so it is exchanged only over
 * https with an Azure Container Registry host (public and sovereign clouds, their `.geo.`
 * and `.data.` names are subdomains of these) or with the running lab. Basic credentials
 * travel in clear over http, so only to loopback. Anything else the user names with
 * --trust-host, or the run stops before a request is sent (exit 2).
 */
import { InputError } from '../errors';

export const ACR_SUFFIXES = ['azurecr.io', 'azurecr.cn', 'azurecr.us'] as const;

const hostname = (u: URL) => u.hostname.replace(/^\[|\]$/g, '').toLowerCase();

/** x.azurecr.io, x.westus.data.azurecr.io, x.westus.geo.azurecr.cn, ... (not azurecr.io itself). */
export function isAcrHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return ACR_SUFFIXES.some(
    (s) => h.endsWith(`.${s}`) && /^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(h.slice(0, -s.length - 1)),
  );
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export interface TrustSettings {
  /** Hosts the user named with --trust-host (host or host:port). */
  trustHosts?: readonly string[];
  /** Names and addresses of the running lab, asked only when needed. */
  labHosts?: () => Promise<readonly string[]>;
}

/** Throws an InputError (exit 2) unless credentials of `kind` may be sent to `base`. */
export async function checkCredentialTarget(
  base: string,
  kind: 'aad' | 'basic',
  t: TrustSettings = {},
): Promise<void> {
  const u = new URL(base);
  const host = hostname(u);
  const named = (t.trustHosts ?? []).map((h) => h.toLowerCase().replace(/^\[|\]$/g, ''));
  if (named.includes(host) || named.includes(u.host.toLowerCase())) return;
  if (kind === 'aad' && u.protocol === 'https:' && isAcrHost(host)) return;
  if (kind === 'basic' && (u.protocol === 'https:' || isLoopbackHost(host))) return;
  if (t.labHosts && (await t.labHosts()).map((h) => h.toLowerCase()).includes(host)) return;
  const what =
    kind === 'aad'
      ? 'an https Azure Container Registry host (*.azurecr.io, *.azurecr.cn, *.azurecr.us) or the running lab for Azure AD credentials'
      : 'https, or plain http to loopback only, for basic credentials';
  throw new InputError(
    '--target',
    `${what}; name the host with --trust-host ${host} to send them anyway`,
    base,
    'UNTRUSTED_HOST',
  );
}
