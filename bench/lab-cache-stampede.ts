/**
 * Cache-stampede bench (figures, never assertions): a 3-region lab with its upstream
 * registry, then `stampede run cache-stampede` with N VUs cold-pulling one image seeded
 * upstream only, once per strategy: coalescing off (breaker off), per-front (two waves:
 * cold, then hydrated by digest), pre-warm, and upstream down cold / pre-warmed.
 *   node --import tsx bench/lab-cache-stampede.ts [vus=500] [layers=1048576,2097152]
 * Upstream limit: Docker-Hub-like, burst 100, 100 per minute (one bucket). Prints, per run,
 * the upstream's manifest GETs, blob requests and 429s, pulls ok/failed, errors by code,
 * pull P50/P90 and the time to hydrated; for the two-wave run, the simulator twin's lab serving
 * fitted on the hydrated wave (its pull P50/P90 and its payloads' seconds per MB) and its
 * held-out prediction of the cold wave (metrics.model), with each step's median time beside
 * the simulator's.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../lib/cli/command';
import { labCommand } from '../lib/cli/commands/lab';
import { runScenarioCommand } from '../lib/cli/commands/run';
import type { CacheTwin } from '../lib/k6/cache-stampede/model';
import type { Envelope, Quantiles } from '../lib/results/envelope';

const vus = Number(process.argv[2] ?? 500);
const layers = process.argv[3] ?? '1048576,2097152';
const LAB = 'benchcache';
const home = mkdtempSync(join(tmpdir(), 'stampede-bench-'));
process.env.STAMPEDE_LAB_HOME = home;
const quiet = { out: () => {}, err: (t: string) => process.stderr.write(`${t}\n`), tty: false };

const RUNS: Array<[string, string[]]> = [
  ['coalescing off, breaker off', ['cache.coalescing=off', 'breaker.enabled=false', 'maxRetries=0']],
  ['per-front, 2 waves', ['cache.coalescing=per-front', 'waves=2']],
  ['per-front + pre-warm', ['cache.coalescing=per-front', 'prewarm=true']],
  ['upstream down, cold', ['upstream.fault=down', 'maxRetries=3']],
  ['upstream down, pre-warmed', ['upstream.fault=down', 'prewarm=true']],
];

try {
  const up = await runCommand(
    labCommand,
    ['up', '--detach', '--name', LAB, '--set', 'upstream.enabled=true', '--set', 'storage.backends=4'],
    quiet,
  );
  if (up !== 0) throw new Error(`lab up exited ${up}`);
  for (const [label, sets] of RUNS) {
    const out = join(home, label.replace(/\W+/g, '-'));
    const t0 = performance.now();
    const common = [
      `vus=${vus}`,
      `image.layers=${layers}`,
      'upstream.rateLimit.burst=100',
      'upstream.rateLimit.perMin=100',
      ...sets,
    ];
    const code = await runCommand(
      runScenarioCommand,
      [
        'cache-stampede',
        '--target',
        'lab',
        '--name',
        LAB,
        '--out',
        out,
        ...common.flatMap((s) => ['--set', s]),
      ],
      quiet,
    );
    const env = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Envelope;
    const m = env.metrics as Record<string, unknown>;
    const q = (x: unknown) => {
      const v = x as Quantiles | undefined;
      return v ? `p50 ${v.p50.toFixed(2)} s p90 ${v.p90.toFixed(2)} s` : 'n/a';
    };
    console.log(`\n${label} (exit ${code}, ${((performance.now() - t0) / 1000).toFixed(0)} s wall)`);
    console.log(`  whole run: upstream ${JSON.stringify(m.upstream)}; hydratedAtS ${m.hydratedAtS}`);
    const twin = m.model as CacheTwin | { skipped: string } | undefined;
    if (twin && !('skipped' in twin) && !('skipped' in twin.serving)) {
      const s = twin.serving;
      const f = (x: { p50: number; p90: number } | null) =>
        x ? `p50 ${x.p50.toFixed(2)} s p90 ${x.p90.toFixed(2)} s` : 'n/a';
      const e = (x: number | null | undefined) =>
        typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : 'n/a';
      console.log(
        `  twin: serving fitted on wave 2: ${(s.requestS * 1000).toFixed(3)} ms/request, ${(s.bps / 1e6).toFixed(0)} MB/s, ${s.servers} servers, ${s.pollers} pollers (wave 2 measured ${f(s.measured)}, fitted ${f(s.fitted)}); cold wave measured ${f(twin.measured.pullS)}, predicted ${f(twin.predicted.pullS)}: held-out error p50 ${e(twin.heldOutError?.p50)} p90 ${e(twin.heldOutError?.p90)}; requests ${twin.predicted.manifestGets} + ${twin.predicted.blobRequests} predicted, within ${JSON.stringify(twin.within)}; ablations: protocol only ${f(twin.ablations?.protocolOnly ?? null)}, no gate polls ${f(twin.ablations?.noGatePolls ?? null)}, no spool (old byte path) ${f(twin.ablations?.noSpool ?? null)}`,
      );
    }
    if (twin && !('skipped' in twin) && !('skipped' in twin.serving)) {
      const t = (x: {
        what: string;
        unit: string;
        measured: number;
        fitted: number | null;
        error: number | null;
      }) =>
        `${x.what} ${x.measured.toFixed(3)} / ${x.fitted === null ? 'n/a' : x.fitted.toFixed(3)} ${x.unit} (${x.error === null ? 'n/a' : `${(x.error * 100).toFixed(1)}%`})`;
      console.log(`  fit terms (lab / fitted): ${twin.serving.terms.map(t).join('; ')}`);
      console.log(`  wave 2 steps (lab / fitted, medians): ${twin.serving.steps.map(t).join('; ')}`);
      console.log(`  wave 1 steps (lab / predicted, held out): ${(twin.coldSteps ?? []).map(t).join('; ')}`);
    }
    for (const p of env.points) {
      const pm = p.metrics as Record<string, unknown>;
      console.log(
        `  ${p.label}: pulls ${JSON.stringify(pm.pulls)} errors ${JSON.stringify((pm.errors as { byCode?: unknown })?.byCode)} pull ${q(pm.pullS)} upstream ${JSON.stringify(pm.upstream)}`,
      );
    }
  }
} finally {
  await runCommand(labCommand, ['down', '--name', LAB], quiet);
  rmSync(home, { recursive: true, force: true });
}
