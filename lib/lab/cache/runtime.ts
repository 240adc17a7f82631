/**
 * Runtime changes to the pull-through cache (PUT /cache, POST /cache-rules): validated by
 * the lab schema's own leaves, so `lab up --set cache.coalescing=x` and a runtime change
 * reject the same input with the same field name. The status shape `lab status` shows.
 */
import { isLeaf, type Leaf, type Schema } from '../../config/schema';
import { InputError } from '../../errors';
import { labSchema } from '../config';
import type { RuntimeCache } from '../state';
import type { UpstreamStatus } from '../upstream/server';
import { type CacheRule, checkCacheRule, checkNoOverlap } from './rules';
import type { CacheFrontStatus } from './serve';

export interface CacheStatus {
  rules: string[];
  settings: Omit<RuntimeCache, 'rules'>;
  upstream: UpstreamStatus | null;
  fronts: Record<string, CacheFrontStatus>;
}

export interface CachePatchResult {
  settings: Omit<RuntimeCache, 'rules'>;
  changed: string[];
}

/** The runtime-adjustable leaves, by dotted path (upstream.enabled and cache.rules are not). */
export function cacheLeaves(): Map<string, Leaf<unknown>> {
  const out = new Map<string, Leaf<unknown>>();
  const walk = (node: Schema, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      const path = `${prefix}${k}`;
      if (isLeaf(v)) out.set(path, v);
      else walk(v as Schema, `${path}.`);
    }
  };
  walk({ upstream: labSchema.upstream, cache: labSchema.cache, breaker: labSchema.breaker }, '');
  out.delete('upstream.enabled');
  out.delete('cache.rules');
  return out;
}

/** {"cache.coalescing": "off", "breaker.failures": 3, ...}: strings parse as --set text does. */
export function checkCachePatch(patch: unknown, current: RuntimeCache): CachePatchResult {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    throw new InputError('cache', 'an object of dotted settings, e.g. {"cache.coalescing": "off"}', patch);
  const leaves = cacheLeaves();
  const next = structuredClone({
    upstream: current.upstream,
    cache: current.cache,
    breaker: current.breaker,
  });
  const changed: string[] = [];
  for (const [key, raw] of Object.entries(patch)) {
    const leaf = leaves.get(key);
    if (!leaf) throw new InputError(key, `one of ${[...leaves.keys()].join(', ')}`, key, 'UNKNOWN_PARAM');
    const value = typeof raw === 'string' ? leaf.parse(raw, key) : leaf.check(raw, key);
    const parts = key.split('.');
    let node = next as unknown as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) node = node[p] as Record<string, unknown>;
    node[parts[parts.length - 1] as string] = value;
    changed.push(key);
  }
  return { settings: next, changed };
}

/** POST /cache-rules body {downstream, upstream}: a local upstream, no overlap with `rules`. */
export function checkRuleInput(body: unknown, rules: readonly CacheRule[], domain: string): CacheRule {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new InputError('rule', 'an object {downstream, upstream}', body);
  const { downstream, upstream } = body as Record<string, unknown>;
  if (typeof downstream !== 'string') throw new InputError('downstream', 'a repository prefix', downstream);
  if (typeof upstream !== 'string')
    throw new InputError(
      'upstream',
      `<upstream host>/<repo prefix>, e.g. upstream.${domain}/library`,
      upstream,
    );
  const rule = checkCacheRule(downstream, upstream, domain, 'rule');
  checkNoOverlap(rule, rules, 'rule.downstream');
  return rule;
}
