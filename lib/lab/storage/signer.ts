/**
 * Signed, expiring URLs in the shape of an Azure service SAS: `sv`, `sr=b`, `sp=r`, `se`
 * (ISO 8601 expiry) and `sig` = base64 HMAC-SHA256 over permission + host + path + expiry.
 * GET and HEAD share the read permission `r`, as a SAS does. The host is part of the
 * signature, so a URL signed for one backend is refused by every other one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SasCheck = 'ok' | 'unsigned' | 'invalid' | 'expired' | 'wrong-permission';

export interface UrlSigner {
  /** Query string (no '?') granting `method` on host+path for ttlS seconds. */
  sign(method: string, host: string, path: string, ttlS: number, nowMs?: number): string;
  verify(method: string, host: string, path: string, query: URLSearchParams, nowMs?: number): SasCheck;
}

const SV = '2021-08-06';

const permission = (method: string) => (method === 'GET' || method === 'HEAD' ? 'r' : 'w');
/** Host without port, lower case: what the client put in Host. */
export const bareHost = (host: string) => host.replace(/:\d+$/, '').toLowerCase();

export function createSigner(secret: Buffer): UrlSigner {
  const mac = (sp: string, host: string, path: string, se: string) =>
    createHmac('sha256', secret)
      .update(`${sp}\n${bareHost(host)}\n${path}\n${se}`)
      .digest();
  return {
    sign(method, host, path, ttlS, nowMs = Date.now()) {
      const sp = permission(method);
      const se = new Date(Math.floor(nowMs / 1000) * 1000 + ttlS * 1000)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z');
      const sig = mac(sp, host, path, se).toString('base64');
      return new URLSearchParams({ sv: SV, sr: 'b', sp, se, sig }).toString();
    },
    verify(method, host, path, query, nowMs = Date.now()) {
      const se = query.get('se');
      const sig = query.get('sig');
      const sp = query.get('sp') ?? '';
      if (!se || !sig) return 'unsigned';
      const got = Buffer.from(sig, 'base64');
      const want = mac(sp, host, path, se);
      if (got.length !== want.length || !timingSafeEqual(got, want)) return 'invalid';
      if (!sp.includes(permission(method))) return 'wrong-permission';
      const exp = Date.parse(se);
      if (!Number.isFinite(exp) || exp <= nowMs) return 'expired';
      return 'ok';
    },
  };
}
