/**
 * Cache-stampede bench (figures, never assertions): a 3-region lab with its upstream
 * registry, then `stampede run cache-stampede` with N VUs cold-pulling one image seeded
 * upstream only, once per strategy: coalescing off (breaker off), per-front (two waves:
 * cold, then hydrated by digest), pre-warm, and upstream down cold / pre-warmed.
 *   node --import tsx bench/lab-cache-stampede.ts [vus=500] [layers=1048576,2097152]
 * Upstream limit: Docker-Hub-like, burst 100, 100 per minute (one bucket). Prints, per run,
 * the upstream's manifest GETs, blob requests and 429s, pulls ok/failed, errors by code,
 * pull P50/P90 and the time to hydrated.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../lib/cli/command';
import { labCommand } from '../lib/cli/commands/lab';
import { runScenarioCommand } from '../lib/cli/commands/run';
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
