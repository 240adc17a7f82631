/**
 * `stampede lab cache-rule|cache|seed-upstream`: the pull-through cache of the lab (cache
 * rules on the fronts, their runtime settings, images seeded into the upstream only), and
 * the lines `lab status` shows for it. Input is checked here before the lab is asked (exit
 * 2 naming the field), then again by the lab itself (its API answers the same errors).
 */
import { numList } from '../../config/schema';
import { InputError } from '../../errors';
import { checkCacheRule } from '../../lab/cache/rules';
import { cacheLeaves } from '../../lab/cache/runtime';
import { labClient, labSocketPath } from '../../lab/lab-client';
import { splitImage } from '../../lab/seed';
import type { LabStatus } from '../../lab/supervisor';
import { type Ctx, defineCommand, flagList, flagString } from '../command';

const nameFlag = {
  name: {
    type: 'string' as const,
    hint: 'NAME',
    description: 'lab instance name (default: $STAMPEDE_LAB_NAME or "lab")',
  },
};
const clientFor = (ctx: Ctx) =>
  labClient(labSocketPath(flagString(ctx, 'name') ?? process.env.STAMPEDE_LAB_NAME ?? 'lab'));

/** The lab checks against its own domain; here any lab domain (*.test) or loopback passes. */
function precheckRule(downstream: string | undefined, upstream: string | undefined): void {
  if (!downstream)
    throw new InputError('<downstream>', 'a downstream repository prefix, e.g. hub/library', undefined);
  if (!upstream)
    throw new InputError(
      '<upstream>',
      '<upstream host>/<repo prefix>, e.g. upstream.stampede.test/library',
      undefined,
    );
  const host = upstream.split('/')[0] ?? '';
  const domain = /^upstream\.([a-z0-9.-]+\.test)(?::\d+)?$/.exec(host)?.[1] ?? 'stampede.test';
  checkCacheRule(downstream, upstream, domain, 'rule');
}

const cacheRule = defineCommand({
  name: 'cache-rule',
  positionals: 'add <downstream> <upstream> | list | remove <downstream>',
  summary: 'cache rules on the fronts: a downstream repository prefix pulled through from an upstream',
  usage: `stampede lab cache-rule add <downstream prefix> <upstream host>/<upstream prefix>
       stampede lab cache-rule list
       stampede lab cache-rule remove <downstream prefix>`,
  help: `
Like ACR's cache rules: a pull of <downstream prefix>/... that the registry does not hold is
served through from the upstream while an import hydrates it (then it is served locally).
Rules apply to every lab registry; no two overlap; the upstream is the lab's own
(upstream.<domain>, started with --set upstream.enabled=true) or a loopback address.
Also in config (--set cache.rules=hub/library=upstream.stampede.test/library) and the API
(POST/GET/DELETE /cache-rules). Bad input exits 2 naming the field.

  stampede lab cache-rule add hub/library upstream.stampede.test/library
  stampede lab cache-rule list
  stampede lab cache-rule remove hub/library`,
  flags: { ...nameFlag, json: { type: 'boolean', description: 'machine-readable output' } },
  async run(ctx) {
    const [verb, ...args] = ctx.positionals;
    if (verb === 'add') {
      if (args.length > 2)
        throw new InputError('<upstream>', 'one downstream and one upstream', args.join(' '));
      precheckRule(args[0], args[1]);
      const rules = await clientFor(ctx).addCacheRule(args[0] as string, args[1] as string);
      ctx.io.out(ctx.flags.json ? JSON.stringify(rules) : rules.join('\n'));
      return 0;
    }
    if (verb === 'list') {
      const rules = await clientFor(ctx).cacheRules();
      ctx.io.out(ctx.flags.json ? JSON.stringify(rules) : rules.length ? rules.join('\n') : 'no cache rules');
      return 0;
    }
    if (verb === 'remove') {
      const prefix = args[0];
      if (!prefix)
        throw new InputError('<downstream>', 'the downstream prefix of a rule (cache-rule list)', undefined);
      if (!(await clientFor(ctx).removeCacheRule(prefix)))
        throw new InputError(
          '<downstream>',
          "the downstream prefix of a rule ('lab cache-rule list')",
          prefix,
          'UNKNOWN_RULE',
        );
      ctx.io.out(`removed ${prefix}`);
      return 0;
    }
    throw new InputError('<verb>', 'add, list or remove', verb);
  },
});

const cacheSettings = defineCommand({
  name: 'cache',
  summary: 'show or change the pull-through cache at runtime: upstream limit, coalescing, breaker',
  usage: 'stampede lab cache [--set key=value]... [--json]',
  help: `
Changes apply to the next request; no restart. Keys (the lab config's own, same rules):
${[...cacheLeaves().entries()].map(([k, l]) => `  ${k.padEnd(30)} ${l.doc}`).join('\n')}

  stampede lab cache --set cache.coalescing=off --set breaker.enabled=false
  stampede lab cache --set upstream.rateLimit.perMin=100 --set upstream.rateLimit.burst=10`,
  flags: {
    ...nameFlag,
    set: { type: 'string', multiple: true, hint: 'key=value', description: 'a cache setting' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx) {
    const leaves = cacheLeaves();
    const patch: Record<string, unknown> = {};
    for (const s of flagList(ctx, 'set')) {
      const eq = s.indexOf('=');
      if (eq <= 0) throw new InputError('--set', 'key=value (e.g. cache.coalescing=off)', s);
      const key = s.slice(0, eq).trim();
      const leaf = leaves.get(key);
      if (!leaf) throw new InputError(key, `one of ${[...leaves.keys()].join(', ')}`, key, 'UNKNOWN_PARAM');
      patch[key] = leaf.parse(s.slice(eq + 1).trim(), key);
    }
    const client = clientFor(ctx);
    const settings = Object.keys(patch).length
      ? (await client.setCache(patch)).settings
      : (await client.status()).cache.settings;
    ctx.io.out(JSON.stringify(settings, null, ctx.flags.json ? undefined : 2));
    return 0;
  },
});

const layersLeaf = numList({
  default: [1 << 20],
  integer: true,
  min: 1,
  max: 2 ** 30,
  doc: 'layer sizes',
  unit: 'B',
});

const seedUpstreamCommand = defineCommand({
  name: 'seed-upstream',
  summary: 'push an image with random layers to the upstream registry only (cold for every cache rule)',
  usage: 'stampede lab seed-upstream --image repo:tag [--layers 1Mi,2Mi]',
  help: `
The image lands in the lab's upstream registry (upstream.<domain>) and nowhere else: a pull
through a cache rule is then a cold miss. Prints the pushed digests as JSON.

  stampede lab seed-upstream --image library/app:v1 --layers 4Mi,8Mi`,
  flags: {
    ...nameFlag,
    image: { type: 'string', hint: 'repo:tag', description: 'upstream repository and tag' },
    layers: { type: 'string', hint: 'BYTES,...', description: 'layer sizes (default 1Mi)' },
  },
  async run(ctx) {
    const image = flagString(ctx, 'image');
    if (!image) throw new InputError('--image', 'repo:tag', undefined);
    splitImage(image);
    const raw = flagString(ctx, 'layers');
    const layers = raw === undefined ? layersLeaf.default : layersLeaf.parse(raw, '--layers');
    const pushed = await clientFor(ctx).seedUpstream(image, layers);
    ctx.io.out(
      JSON.stringify({
        repo: pushed.repo,
        tag: pushed.tag,
        manifestDigest: pushed.manifestDigest,
        layers: pushed.layers,
      }),
    );
    return 0;
  },
});

export const labCacheCommands = {
  'cache-rule': cacheRule,
  cache: cacheSettings,
  'seed-upstream': seedUpstreamCommand,
};

/** `lab status`'s lines for the pull-through cache (none when the lab has no upstream and no rules). */
export function cacheStatusLines(s: LabStatus): string[] {
  const c = s.cache;
  if (!c || (!c.upstream && c.rules.length === 0)) return [];
  const lines = ['', `cache rules: ${c.rules.length ? c.rules.join('  ') : 'none'}`];
  const st = c.settings;
  lines.push(
    `  coalescing=${st.cache.coalescing} hydrationWorkers=${st.cache.hydrationWorkers}; breaker ${st.breaker.enabled ? `K=${st.breaker.failures} in ${st.breaker.windowS}s, open ${st.breaker.openS}s` : 'off'}`,
  );
  if (c.upstream) {
    const u = c.upstream.counters;
    const rl = st.upstream.rateLimit;
    lines.push(
      `  upstream ${c.upstream.host} (${c.upstream.url}) fault=${c.upstream.fault}; limit ${rl.perMin}/min burst ${rl.burst} (${rl.scope})`,
      `    requests manifest=${u.requests.manifest} (GET ${u.manifestGets}) blob=${u.requests.blob}; bytes ${u.bytes.manifest + u.bytes.blob}; 429s ${u.throttled.manifest + u.throttled.blob}; 5xx ${u.errors5xx}; dropped ${u.dropped}`,
    );
  }
  for (const [region, f] of Object.entries(c.fronts)) {
    const b = f.breaker;
    lines.push(
      `  ${region.padEnd(12)} breaker ${b.state}${b.reopensInS !== null ? ` (probe in ${b.reopensInS.toFixed(1)}s)` : ''}, opened ${b.opened}x, refused ${b.refused}; coalesced ${f.coalescing.joined} of ${f.coalescing.leaders + f.coalescing.joined}; spool ${f.spool.blobs} blobs`,
    );
    for (const [rule, r] of Object.entries(f.rules))
      lines.push(
        `    ${rule}: upstream manifest=${r.requests.manifest} blob=${r.requests.blob} bytes=${r.bytes} 429s=${r.throttled} failed=${r.failed} refused=${r.refused}; served local=${r.served.local} upstream=${r.served.upstream} spool=${r.served.spool}`,
      );
    for (const h of f.hydration.slice(-8))
      lines.push(
        `    hydration ${h.image}${h.tag ? ` (${h.tag})` : ''}: ${h.state}${h.hydratedAtS !== null ? ` in ${h.hydratedAtS.toFixed(2)}s` : ''}${h.error ? ` (${h.error})` : ''}`,
      );
  }
  return lines;
}
