/**
 * Cache rules, ACR's control-plane resource: a downstream repository prefix mapped to an
 * upstream registry and repository prefix (`hub/library` -> `upstream.stampede.test/library`).
 * A rule applies to every lab registry. Upstreams are the lab's own (upstream.<domain>) or a
 * loopback address: the lab never reaches out of the machine. No two rules overlap, so a
 * repository matches at most one.
 */
import { InputError } from '../../errors';

export interface CacheRule {
  /** Downstream repository prefix, e.g. hub/library. */
  downstream: string;
  /** host[:port] of the upstream registry. */
  upstreamHost: string;
  /** Upstream repository prefix, e.g. library. */
  upstreamRepo: string;
}

const REPO = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const LOOPBACK_V4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::(\d{1,5}))?$/;
const LOOPBACK_V6 = /^\[::1\](?::(\d{1,5}))?$/;

/** upstream.<domain>[:port], 127.x.y.z[:port] or [::1][:port]. */
export function isLabUpstreamHost(host: string, domain: string): boolean {
  const name = new RegExp(`^upstream\\.${domain.replace(/\./g, '\\.')}(?::\\d{1,5})?$`);
  if (name.test(host)) return true;
  const v4 = LOOPBACK_V4.exec(host);
  if (v4) return v4.slice(1, 4).every((o) => Number(o) <= 255);
  return LOOPBACK_V6.test(host);
}

/** `downstream=host/repo` (config and CLI form) -> a rule; InputError naming `field`. */
export function parseCacheRule(text: string, domain: string, field: string): CacheRule {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new InputError(field, '<downstream repo prefix>=<upstream host>/<upstream repo prefix>', text);
  return checkCacheRule(text.slice(0, eq), text.slice(eq + 1), domain, field);
}

export function checkCacheRule(
  downstream: string,
  upstream: string,
  domain: string,
  field: string,
): CacheRule {
  if (!REPO.test(downstream))
    throw new InputError(
      `${field}.downstream`,
      'a repository prefix (lower-case, e.g. hub/library)',
      downstream,
    );
  const slash = upstream.indexOf('/');
  const host = slash < 0 ? upstream : upstream.slice(0, slash);
  const repo = slash < 0 ? '' : upstream.slice(slash + 1);
  if (!isLabUpstreamHost(host, domain))
    throw new InputError(
      `${field}.upstream`,
      `the lab's upstream (upstream.${domain}) or a loopback address (127.x.y.z[:port], [::1][:port]), then /<repo prefix>`,
      upstream,
      'UPSTREAM_NOT_LOCAL',
    );
  if (!REPO.test(repo))
    throw new InputError(
      `${field}.upstream`,
      'host/<upstream repo prefix>, e.g. upstream.stampede.test/library',
      upstream,
    );
  return { downstream, upstreamHost: host, upstreamRepo: repo };
}

/** One prefix equals the other or is a path prefix of it. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** Throws naming `field` when `rule` overlaps one of `rules`. */
export function checkNoOverlap(rule: CacheRule, rules: readonly CacheRule[], field: string): void {
  const other = rules.find((r) => overlaps(r.downstream, rule.downstream));
  if (other)
    throw new InputError(
      field,
      `a downstream prefix that does not overlap an existing rule's (${other.downstream})`,
      rule.downstream,
      'CACHE_RULE_OVERLAP',
    );
}

/** Validates config's `cache.rules` as a whole (each parses, none overlaps another). */
export function checkCacheRules(texts: readonly string[], domain: string, field: string): CacheRule[] {
  const out: CacheRule[] = [];
  texts.forEach((t, i) => {
    const rule = parseCacheRule(t, domain, `${field}[${i}]`);
    checkNoOverlap(rule, out, `${field}[${i}]`);
    out.push(rule);
  });
  return out;
}

/** The rule a repository falls under, and its upstream repository; null if none. */
export function matchRule(
  repo: string,
  rules: readonly CacheRule[],
): { rule: CacheRule; upstreamRepo: string } | null {
  for (const rule of rules) {
    if (repo === rule.downstream) return { rule, upstreamRepo: rule.upstreamRepo };
    if (repo.startsWith(`${rule.downstream}/`))
      return { rule, upstreamRepo: `${rule.upstreamRepo}${repo.slice(rule.downstream.length)}` };
  }
  return null;
}

export const ruleText = (r: CacheRule) => `${r.downstream}=${r.upstreamHost}/${r.upstreamRepo}`;
