/**
 * Parameters go into a page that gets attached to tickets and CI artifacts, so anything
 * that looks like a credential is replaced before rendering: keys matching
 * token/password/secret or ending in "key" (apiKey, accountKey), at any depth, and
 * user:password@ inside URLs.
 */
export const REDACTED = '[redacted]';
const SECRET_KEY = /token|password|secret|key$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Params as `[dotted.path, display value]` rows, secrets redacted (whole subtree). */
export function paramRows(params: unknown, prefix = ''): Array<[string, string]> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return prefix ? [[prefix, displayValue(params)]] : [];
  }
  const rows: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(params)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isSecretKey(k)) rows.push([path, REDACTED]);
    else if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0)
      rows.push(...paramRows(v, path));
    else rows.push([path, displayValue(v)]);
  }
  return rows;
}

function displayValue(v: unknown): string {
  // Arrays and leftovers are shown as JSON; the replacer redacts secrets nested inside them.
  const s =
    typeof v === 'string'
      ? v
      : (JSON.stringify(v, (k, x) => (k && isSecretKey(k) ? REDACTED : x)) ?? String(v));
  return redactUrlCredentials(s);
}

/** `https://user:pass@host` -> `https://[redacted]@host`. */
export function redactUrlCredentials(s: string): string {
  return s.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, `$1${REDACTED}@`);
}
