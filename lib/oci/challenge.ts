/**
 * `Www-Authenticate` challenges (RFC 7235 auth-params, as registries send them):
 *   Bearer realm="https://r.example/oauth2/token",service="r.example",scope="repository:a/b:pull"
 * Pure and dependency-free: the k6 scenarios bundle it too.
 */
export interface Challenge {
  /** Lower-cased scheme: "bearer", "basic", ... */
  scheme: string;
  params: Record<string, string>;
}

export interface BearerChallenge {
  realm: string;
  service?: string;
  /** Scopes the registry asked for (space-separated in the header, split here). */
  scopes: string[];
  error?: string;
}

/**
 * Parses a header that may hold several challenges (`Bearer a="b", Basic realm="x"`).
 * Quoted values may contain commas, spaces and `\"` escapes; unquoted tokens are allowed.
 */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  const s = header;
  let i = 0;
  const skip = (re: RegExp) => {
    while (i < s.length && re.test(s[i] as string)) i++;
  };
  let current: Challenge | null = null;
  while (i < s.length) {
    skip(/[\s,]/);
    if (i >= s.length) break;
    const start = i;
    while (i < s.length && /[^\s,=]/.test(s[i] as string)) i++;
    const word = s.slice(start, i);
    skip(/\s/);
    if (s[i] === '=' && current) {
      // auth-param: name=value; a token68 (`Basic abc==`) would also end in '=': treat
      // a run of '=' followed by a separator or the end as part of a token68.
      const after = s.slice(i).match(/^=+/)?.[0].length ?? 1;
      const next = s[i + after];
      if (after > 1 || next === undefined || next === ',') {
        i += after;
        current.params.token68 = word + '='.repeat(after);
        continue;
      }
      i += 1;
      skip(/\s/);
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++; // closing quote
      } else {
        const vs = i;
        while (i < s.length && /[^\s,]/.test(s[i] as string)) i++;
        value = s.slice(vs, i);
      }
      current.params[word.toLowerCase()] = value;
    } else {
      current = { scheme: word.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

/** The Bearer challenge of a 401, or null when there is none (or it has no realm). */
export function bearerChallenge(header: string | null | undefined): BearerChallenge | null {
  const c = parseChallenges(header).find((x) => x.scheme === 'bearer');
  if (!c?.params.realm) return null;
  return {
    realm: c.params.realm,
    ...(c.params.service !== undefined ? { service: c.params.service } : {}),
    scopes: (c.params.scope ?? '').split(' ').filter(Boolean),
    ...(c.params.error !== undefined ? { error: c.params.error } : {}),
  };
}

/** `repository:<name>:<actions>` for a pull/push of `repo`. */
export const repoScope = (repo: string, actions: string[]) => `repository:${repo}:${actions.join(',')}`;
