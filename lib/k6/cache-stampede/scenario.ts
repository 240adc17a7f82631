/**
 * The cache-stampede scenario (k6 entry: scenarios/cache-stampede.ts): N VUs cold-pull,
 * all at once, an image the registry has never hydrated, through a cache rule; with
 * waves=2, N more pull it by digest once it is hydrated. On the lab, prepareLab sets the
 * run's upstream limit, coalescing and breaker (PUT /cache), makes sure the rule exists,
 * seeds a fresh image into the upstream only, optionally pre-warms (one pull, then wait for
 * the hydration webhook record) and injects the upstream fault; summarize reads what reached
 * the upstream during the run from the lab's counters. Strategies are compared run against
 * run (`stampede report A B`): coalescing off/per-front, breaker off/on, prewarm.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fetch as undiciFetch } from 'undici';
import { cacheStampedeTwinChart } from '../../../reports/charts/cache-stampede-twin';
import { InputError, RunError } from '../../errors';
import { readIdentityRecord } from '../../lab/identity';
import { labClient } from '../../lab/lab-client';
import { labAadCredentials } from '../../lab/seed';
import { withRegistryAuth } from '../../oci/auth-fetch';
import { MANIFEST_ACCEPT } from '../../oci/media-types';
import type { FetchLike } from '../../oci/push';
import type { Quantiles } from '../../results/envelope';
import { labTarget } from '../lab-target';
import { defineScenario } from '../scenario';
import { startWaveGate, type WaveGate } from './gate';
import { type CacheTwin, cacheTwin, noTwinReason } from './model';
import { type CacheStampedeParams, cacheStampedeSchema } from './params';
import { waitImportsIdle } from './quiesce';
import { stepGroups, stepTimesOf } from './steps';
import { type UpstreamCounters, upstreamDelta, wavePoints, waveRecords } from './summary';

/** What prepareLab hands duringRun (one run per process at a time). */
interface Pending {
  gate?: WaveGate;
  digest: string;
  repo: string;
  region: string;
  cleanup: Array<() => Promise<unknown>>;
}
let pending: Pending | undefined;

const SPLIT_FILE = 'cache-split.json';
const FAULT_KIND = { slow: 'upstream-slow', '5xx': 'upstream-5xx', down: 'upstream-down' } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The hydration record of `repo@digest` in the client region's front. */
const hydrationOf = (
  s: {
    cache: {
      fronts: Record<
        string,
        { hydration: Array<{ image: string; state: string; hydratedAtS: number | null }> }
      >;
    };
  },
  region: string,
  repo: string,
  digest: string,
) => s.cache.fronts[region]?.hydration.find((h) => h.image === `${repo}@${digest}`);

export const cacheStampedeScenario = defineScenario<CacheStampedeParams>({
  name: 'cache-stampede',
  summary:
    'N VUs cold-pull an image not yet hydrated through a cache rule: upstream requests, 429s, pull times',
  help: `
The lab needs its upstream: stampede lab up --set upstream.enabled=true. Each run seeds a
fresh image into the upstream only, then releases the fleet at once; the envelope carries
what reached the upstream during the burst (upstream.requests by kind, upstream.bytes,
upstream.throttled), pulls and errors by code, pullS and hydratedAtS; waves=2 adds a point
for the hydrated wave (pulls by digest). Compare strategies run against run:
  stampede run cache-stampede --target lab --set cache.coalescing=off --out runs/off
  stampede run cache-stampede --target lab --set cache.coalescing=per-front --out runs/on
  stampede report runs/off runs/on
Against a registry URL with a cache rule: STAMPEDE_CACHE_IMAGE=<repo:tag> names the image.`,
  schema: cacheStampedeSchema,
  script: 'cache-stampede',
  labOnly: ['prewarm', 'rule', 'upstream', 'cache', 'breaker', 'registry'],
  progress: { metric: 'pulls', unit: 'pulls', total: (p) => p.vus * p.waves },
  maxDurationS: (p) => p.maxDurationS,
  charts: [cacheStampedeTwinChart],

  async prepareLab(lab, p) {
    const api = labClient(lab.topology.apiSocket, { timeoutMs: 30_000 });
    const status = await api.status();
    if (!status.cache?.upstream)
      throw new InputError(
        'upstream.enabled',
        'a lab started with --set upstream.enabled=true',
        false,
        'NO_UPSTREAM',
      );
    const t = labTarget(lab, p.registry ? { registry: p.registry } : {});
    const region = lab.config.regions.clientRegion;
    const cleanup: Pending['cleanup'] = [];
    // An earlier run's import still fetching would count in this run's upstream window.
    const idle = await waitImportsIdle(
      { status: async () => (await api.status()).cache },
      Math.min(60, p.maxDurationS) * 1000,
    );
    // The run's settings, put back afterwards.
    const previous = status.cache.settings;
    await api.setCache({
      'upstream.rateLimit.scope': p.upstream.rateLimit.scope,
      'upstream.rateLimit.perMin': p.upstream.rateLimit.perMin,
      'upstream.rateLimit.burst': p.upstream.rateLimit.burst,
      'upstream.rateLimit.retryAfterS': p.upstream.rateLimit.retryAfterS,
      'upstream.latencyMs': p.upstream.latencyMs,
      'upstream.bps': p.upstream.bps,
      'cache.coalescing': p.cache.coalescing,
      'cache.hydrationWorkers': p.cache.hydrationWorkers,
      'breaker.enabled': p.breaker.enabled,
      'breaker.failures': p.breaker.failures,
      'breaker.windowS': p.breaker.windowS,
      'breaker.openS': p.breaker.openS,
    });
    cleanup.push(() =>
      api.setCache({
        'upstream.rateLimit.scope': previous.upstream.rateLimit.scope,
        'upstream.rateLimit.perMin': previous.upstream.rateLimit.perMin,
        'upstream.rateLimit.burst': previous.upstream.rateLimit.burst,
        'upstream.rateLimit.retryAfterS': previous.upstream.rateLimit.retryAfterS,
        'upstream.latencyMs': previous.upstream.latencyMs,
        'upstream.bps': previous.upstream.bps,
        'cache.coalescing': previous.cache.coalescing,
        'cache.hydrationWorkers': previous.cache.hydrationWorkers,
        'breaker.enabled': previous.breaker.enabled,
        'breaker.failures': previous.breaker.failures,
        'breaker.windowS': previous.breaker.windowS,
        'breaker.openS': previous.breaker.openS,
      }),
    );
    const upstreamHost = `upstream.${lab.topology.domain}`;
    const ruleText = `${p.rule.downstream}=${upstreamHost}/${p.rule.upstreamRepo}`;
    if (!status.cache.rules.includes(ruleText)) {
      await api.addCacheRule(p.rule.downstream, `${upstreamHost}/${p.rule.upstreamRepo}`);
      cleanup.push(() => api.removeCacheRule(p.rule.downstream));
    }
    // A fresh repository per run: nothing downstream has it, whatever ran before.
    const name = `stampede-${Date.now().toString(36)}`;
    const seeded = await api.seedUpstream(`${p.rule.upstreamRepo}/${name}:v1`, p.image.layers);
    const repo = `${p.rule.downstream}/${name}`;
    const image = `${repo}:v1`;
    const notes = [
      `seeded ${p.rule.upstreamRepo}/${name}:v1 into ${upstreamHost} only (${seeded.manifestDigest.slice(0, 19)}…)`,
    ];
    if (idle.waitedMs >= 200)
      notes.push(`waited ${(idle.waitedMs / 1000).toFixed(1)} s for earlier imports to settle`);
    if (idle.busy.length)
      notes.push(
        `imports still running (their upstream requests count in this run): ${idle.busy.join(', ')}`,
      );
    if (p.prewarm) {
      const waited = await prewarm(lab, t.base, repo, seeded.manifestDigest, region, p.maxDurationS);
      notes.push(`pre-warmed: one pull, hydration webhook after ${waited.toFixed(2)} s`);
    }
    if (p.upstream.fault !== 'none') {
      const f = await api.addFault({
        kind: FAULT_KIND[p.upstream.fault],
        params: p.upstream.fault === 'slow' ? { latencyMs: 2000 } : {},
      });
      cleanup.push(() => api.clearFault(f.id));
      notes.push(`upstream fault ${f.kind} (${f.id}) for the run`);
    }
    const before = (await api.status()).cache.upstream?.counters as UpstreamCounters;
    const gate = p.waves === 2 ? await startWaveGate() : undefined;
    pending = { ...(gate ? { gate } : {}), digest: seeded.manifestDigest, repo, region, cleanup };
    return {
      base: t.base,
      env: {
        ...t.env,
        STAMPEDE_CACHE_IMAGE: image,
        STAMPEDE_CACHE_DIGEST: seeded.manifestDigest,
        ...(gate ? { STAMPEDE_CACHE_GATE: gate.url } : {}),
      },
      describe: {
        ...t.describe,
        image,
        digest: seeded.manifestDigest,
        // The seeded sizes the simulator's twin is given (model.ts).
        manifestBytes: Buffer.byteLength(seeded.manifest),
        configBytes: seeded.config.size,
        rule: ruleText,
        region,
        upstreamBefore: before,
      },
      notes,
      async cleanup() {
        for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
      },
    };
  },

  async duringRun({ params, signal, lab, outDir }) {
    const run = pending;
    pending = undefined;
    if (!run) return;
    try {
      if (run.gate && lab) {
        const api = labClient(lab.info.topology.apiSocket, { timeoutMs: 10_000 });
        const deadline = Date.now() + params.maxDurationS * 1000;
        // Wave 2 goes once every wave-1 pull has ended and the image is hydrated here.
        while (!signal.aborted && Date.now() < deadline) {
          if (run.gate.done() >= params.vus) {
            const s = await api.status();
            if (hydrationOf(s, run.region, run.repo, run.digest)?.state === 'done') {
              if (outDir)
                writeFileSync(
                  join(outDir, SPLIT_FILE),
                  JSON.stringify({ at: Date.now(), counters: s.cache.upstream?.counters }),
                );
              break;
            }
          }
          await sleep(200);
        }
        run.gate.open();
      }
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await run.gate?.close();
    }
  },

  summarize({ envelope, records, params, labStatus, outDir }) {
    const target = (envelope.params.target ?? {}) as {
      upstreamBefore?: UpstreamCounters;
      digest?: string;
      image?: string;
      region?: string;
      manifestBytes?: number;
      configBytes?: number;
    };
    const after = labStatus?.cache?.upstream?.counters;
    if (!after || !target.upstreamBefore) return { metrics: {} };
    let split: UpstreamCounters | undefined;
    try {
      split = (JSON.parse(readFileSync(join(outDir, SPLIT_FILE), 'utf8')) as { counters: UpstreamCounters })
        .counters;
    } catch {
      split = undefined;
    }
    const whole = upstreamDelta(after, target.upstreamBefore);
    const repo = target.image?.replace(/:[^:/]+$/, '') ?? '';
    const h =
      labStatus && target.region && target.digest
        ? hydrationOf(labStatus, target.region, repo, target.digest)
        : undefined;
    const front = target.region ? labStatus?.cache.fronts[target.region] : undefined;
    const points = wavePoints({
      records,
      waves: params.waves,
      params: {
        cache: params.cache,
        breaker: params.breaker,
        prewarm: params.prewarm,
        fault: params.upstream.fault,
      },
      before: target.upstreamBefore,
      ...(split ? { split } : {}),
      after,
    });
    // The simulator's twin of the cold wave (the whole run when waves=1).
    const cold = points[0]?.metrics as
      | {
          pullS?: Quantiles;
          upstream: { requests: { manifestGets: number; blob: number }; throttled: number };
        }
      | undefined;
    // The hydrated wave (waves=2, every pull ok): what the twin fits the lab's serving on.
    const warm = points[1]?.metrics as { pullS?: Quantiles; pulls?: { failed: number } } | undefined;
    const hydrated =
      warm?.pullS && warm.pulls?.failed === 0
        ? {
            p50: warm.pullS.p50,
            p90: warm.pullS.p90,
            // Its requests' times by step and payload size: what separates request from byte cost.
            steps: stepGroups(stepTimesOf(waveRecords(records, 'wave2'))),
          }
        : null;
    const why = noTwinReason(params);
    const model: CacheTwin | { skipped: string } | null =
      cold && target.manifestBytes && target.configBytes
        ? why
          ? { skipped: why }
          : cacheTwin(
              params,
              { manifestBytes: target.manifestBytes, configBytes: target.configBytes },
              {
                manifestGets: cold.upstream.requests.manifestGets,
                blobRequests: cold.upstream.requests.blob,
                throttled: cold.upstream.throttled,
                pullS: cold.pullS ? { p50: cold.pullS.p50, p90: cold.pullS.p90 } : null,
              },
              {
                hydrated,
                servers: availableParallelism(),
                coldSteps: stepGroups(stepTimesOf(waveRecords(records, 'wave1'))),
              },
            )
        : null;
    return {
      metrics: {
        ...(model && { model }),
        upstream: {
          requests: whole.requests,
          bytes: whole.bytes,
          throttled: whole.throttled,
          errors5xx: whole.errors5xx,
          dropped: whole.dropped,
        },
        hydratedAtS: h?.state === 'done' ? h.hydratedAtS : null,
        hydration: h?.state ?? 'none',
        breaker: front?.breaker ?? null,
      },
      points,
      notes: [
        `upstream during the run: ${whole.requests.manifestGets} manifest GETs (${whole.requests.manifest} manifest requests), ${whole.requests.blob} blob requests, ${whole.throttled} 429s; hydration ${h?.state ?? 'none'}${h?.hydratedAtS != null ? ` in ${h.hydratedAtS.toFixed(2)} s` : ''}`,
      ],
    };
  },

  verdict(envelope, params) {
    const m = envelope.metrics as {
      pulls?: { ok: number; failed: number };
      pullS?: Quantiles;
      upstream?: { requests: { manifestGets: number; blob: number }; throttled: number };
      model?: CacheTwin | { skipped: string };
    };
    const ok = m.pulls?.ok ?? 0;
    const failed = m.pulls?.failed ?? 0;
    const hydrated = envelope.points.find((p) => p.label.startsWith('hydrated'));
    const hydratedFailed = (hydrated?.metrics.pulls as { failed?: number } | undefined)?.failed ?? 0;
    // Failures are what a stampede measures; a hydrated wave that fails, or nothing run at all, is a failed run.
    const bad = ok + failed === 0 || hydratedFailed > 0 || (params.upstream.fault === 'none' && ok === 0);
    const up = m.upstream;
    return {
      exitCode: bad ? 1 : 0,
      line: `${ok} ok, ${failed} failed; pull ${m.pullS ? `p50 ${m.pullS.p50.toFixed(2)}s p90 ${m.pullS.p90.toFixed(2)}s` : 'n/a'}${up ? `; upstream ${up.requests.manifestGets} manifest GETs, ${up.requests.blob} blob requests, ${up.throttled} 429s` : ''}${twinLine(m.model)}`,
    };
  },
});

/** The twin's figures for the verdict line: the sim's cold-wave requests and pull times beside the lab's. */
function twinLine(model: CacheTwin | { skipped: string } | undefined): string {
  if (!model || 'skipped' in model) return '';
  const t = model.predicted;
  const pct = (r: number | null) =>
    r === null ? 'n/a' : `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(0)}%`;
  const s = model.serving;
  const fit =
    'skipped' in s
      ? ' (protocol only: no hydrated wave to fit the lab serving on)'
      : ` (lab serving fitted on wave 2: ${(s.requestS * 1000).toFixed(2)} ms/request, ${(s.bps / 1e6).toFixed(0)} MB/s, ${s.servers} servers; wave 1 held out)`;
  return `; sim twin (cold): ${t.manifestGets} manifest GETs, ${t.blobRequests} blob GETs (lab ${pct(model.ratio.requests)})${t.pullS ? `, pull p50 ${t.pullS.p50.toFixed(3)}s p90 ${t.pullS.p90.toFixed(3)}s (lab ${pct(model.ratio.p50)} / ${pct(model.ratio.p90)})${fit}` : ''}`;
}

/** One pull through the front (the pre-warm), then the hydration webhook's record for it. */
async function prewarm(
  lab: Parameters<NonNullable<typeof cacheStampedeScenario.prepareLab>>[0],
  base: string,
  repo: string,
  digest: string,
  region: string,
  maxS: number,
): Promise<number> {
  const f = withRegistryAuth(
    undiciFetch as unknown as FetchLike,
    labAadCredentials(readIdentityRecord(lab.topology.stateDir), 'puller', { byIp: !lab.netns }),
  );
  // Like a client's: a 429/503 (the upstream's limit, or a breaker still open from an
  // earlier run) is retried after its Retry-After (at most 5 s), until maxDurationS.
  const deadline = Date.now() + maxS * 1000;
  for (;;) {
    const res = await f(`${base}/v2/${repo}/manifests/v1`, { headers: { accept: MANIFEST_ACCEPT } });
    await res.arrayBuffer();
    if (res.status === 200) break;
    if ((res.status !== 429 && res.status !== 503) || Date.now() >= deadline)
      throw new RunError('PREWARM_FAILED', `pre-warm pull of ${repo}:v1 answered HTTP ${res.status}`);
    await sleep(Math.min(5, Number(res.headers.get('retry-after')) || 1) * 1000);
  }
  const api = labClient(lab.topology.apiSocket, { timeoutMs: 10_000 });
  const t0 = Date.now();
  // The hydration webhook: the replication record of the import's local push (what ACR's webhook carries).
  while (Date.now() - t0 < maxS * 1000) {
    const s = await api.status();
    const events = s.replication.regions[region]?.events ?? [];
    if (events.some((e) => e.digest === digest && e.kind === 'local' && e.action === 'push'))
      return (Date.now() - t0) / 1000;
    await sleep(100);
  }
  throw new RunError(
    'PREWARM_TIMEOUT',
    `no hydration webhook for ${repo}@${digest} within ${maxS} s (maxDurationS)`,
  );
}
