/**
 * RS256 JSON Web Tokens with node:crypto only: what Azure AD issues and what ACR's
 * /oauth2/exchange checks. Small on purpose: sign, decode, verify signature + times.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export type JwtPayload = Record<string, unknown>;

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export function newSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid: randomUUID().replace(/-/g, '').slice(0, 20), privateKey, publicKey };
}

/** The JWKS entry Azure AD publishes at /<tenant>/discovery/v2.0/keys. */
export function jwk(key: SigningKey): Record<string, unknown> {
  const pub = key.publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  return { kty: 'RSA', use: 'sig', alg: 'RS256', kid: key.kid, n: pub.n, e: pub.e };
}

export function signJwt(key: SigningKey, payload: JwtPayload): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: key.kid }));
  const body = b64url(JSON.stringify(payload));
  const sig = sign('RSA-SHA256', Buffer.from(`${header}.${body}`), key.privateKey);
  return `${header}.${body}.${b64url(sig)}`;
}

export interface DecodedJwt {
  header: { alg?: string; kid?: string; typ?: string };
  payload: JwtPayload;
  signed: string;
  signature: Buffer;
}

/** Splits and parses a compact JWT; null for anything that is not one. */
export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    if (typeof header !== 'object' || header === null || typeof payload !== 'object' || payload === null)
      return null;
    return { header, payload, signed: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
  } catch {
    return null;
  }
}

export type JwtCheck =
  | { ok: true; payload: JwtPayload }
  | { ok: false; reason: 'malformed' | 'alg' | 'kid' | 'signature' | 'expired' | 'not-yet-valid' };

/** Signature against the keys by kid, then exp/nbf with a small clock skew. */
export function verifyJwt(
  token: string,
  keys: ReadonlyArray<{ kid: string; publicKey: KeyObject }>,
  /** The verifier's time (its clock's now() / 1000): no default, so no caller reads Date.now() unseen. */
  nowS: number,
  skewS = 60,
): JwtCheck {
  const d = decodeJwt(token);
  if (!d) return { ok: false, reason: 'malformed' };
  if (d.header.alg !== 'RS256') return { ok: false, reason: 'alg' };
  const key = keys.find((k) => k.kid === d.header.kid);
  if (!key) return { ok: false, reason: 'kid' };
  if (!verify('RSA-SHA256', Buffer.from(d.signed), key.publicKey, d.signature))
    return { ok: false, reason: 'signature' };
  const { exp, nbf } = d.payload;
  if (typeof exp !== 'number' || exp + skewS < nowS) return { ok: false, reason: 'expired' };
  if (typeof nbf === 'number' && nbf - skewS > nowS) return { ok: false, reason: 'not-yet-valid' };
  return { ok: true, payload: d.payload };
}

/** A public key from a JWKS entry (what a relying party would fetch). */
export function publicKeyFromJwk(entry: { n: string; e: string }): KeyObject {
  return createPublicKey({ key: { kty: 'RSA', n: entry.n, e: entry.e }, format: 'jwk' });
}
