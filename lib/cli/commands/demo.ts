/**
 * `stampede demo`: the main job on an embedded default. It simulates the ACR copy-count
 * sweep from the published preset, starts a small local lab, pulls an image through it
 * with the real k6, stops the lab, and ends with the path of one HTML page that shows the
 * measured pull next to the simulation. Composed only of the public commands, so what
 * the demo does, a user can do step by step.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeDashboard } from '../../../reports/index';
import { RunError } from '../../errors';
import { coldPullSchema } from '../../k6/scenarios';
import { labHome } from '../../lab/topology';
import { outDirClaim } from '../../results/run-dir';
import { defineCommand, flagString, type Io, runCommand } from '../command';
import { labCommand } from './lab';
import { runScenarioCommand } from './run';
import { simCommand } from './sim';

/**
 * A lab small enough for a laptop or CI box: 2 regions, 3 backends, 2 copies (served over
 * HTTPS, as Azure Storage serves them), quick DNS probes.
 */
export const DEMO_LAB_SETS = [
  'regions.names=eastus,westus',
  'regions.clientRegion=eastus',
  'storage.backends=3',
  'storage.copies=2',
  'storage.tls=true',
  'dns.probeIntervalS=2',
  'dns.probeTimeoutS=1',
  'dns.ttlS=5',
  'health.sustainS=4',
];

async function step(io: Io, title: string, argv: string[], cmd: Parameters<typeof runCommand>[0]) {
  io.err(`\n== ${title}: stampede ${cmd.name} ${argv.join(' ')}`);
  const code = await runCommand(cmd, argv, io);
  if (code !== 0) throw new RunError('DEMO_STEP_FAILED', `${title} failed (exit ${code})`);
}

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'the main job on an embedded default: local lab + simulations, ends with a report path',
  usage: 'stampede demo [--out DIR] [--vus N] [--skip-lab]',
  help: `
1. stampede sim copy-sweep --preset acr-copies-2026     (the ACR 1,000-node table, simulated)
2. stampede lab up --detach --name demo<N>               (2 regions, real registries, DNS, storage)
3. stampede run cold-pull --target lab --name demo<N>     (real k6 pulls through the global name)
4. stampede lab down --name demo<N>                       (and its state dir is removed)
5. one HTML page with both runs: <out>/report.html (each run also has its own report)

demo<N> is a lab name of its own per demo (N from the process id), so a demo never touches
a lab you started yourself; its state dir (.lab/demo<N>/: CA keys, logs) goes when the lab
goes down. Flags are checked before step 1: a bad one exits 2 and starts nothing.

Needs root for the lab's network namespace (it falls back to plain loopback otherwise).`,
  flags: {
    out: {
      type: 'string',
      hint: 'DIR',
      description: 'where the runs and the page go (default runs/demo-<time>)',
    },
    vus: { type: 'string', hint: 'N', description: 'k6 virtual users pulling at once', default: '20' },
    'skip-lab': { type: 'boolean', description: 'simulation only (no lab, no k6)' },
  },
  async run(ctx) {
    const io = ctx.io;
    // Every flag is checked before the simulation and the lab start, not minutes later.
    const vus = String(coldPullSchema.vus.parse(flagString(ctx, 'vus') ?? '20', '--vus'));
    const out = outDirClaim('demo', flagString(ctx, 'out'))();
    const simDir = join(out, 'sim-copy-sweep');
    const k6Dir = join(out, 'k6-cold-pull');
    const name = `demo${process.pid % 10000}`;
    const dirs: string[] = [];
    let failure: Error | undefined;

    await step(io, 'simulate', ['copy-sweep', '--preset', 'acr-copies-2026', '--out', simDir], simCommand);
    dirs.push(simDir);

    if (!ctx.flags['skip-lab']) {
      const stateDir = join(labHome(), name);
      // The state dir (CA keys, logs) goes with the lab, but only one this demo made: a lab
      // someone started by hand under the same name keeps its own.
      const ownDir = !existsSync(stateDir);
      let started = false;
      try {
        const sets = DEMO_LAB_SETS.flatMap((s) => ['--set', s]);
        await step(io, 'start the lab', ['up', '--detach', '--name', name, ...sets], labCommand);
        started = true;
        await step(
          io,
          'pull through the lab with k6',
          ['cold-pull', '--target', 'lab', '--name', name, '--out', k6Dir, '--set', `vus=${vus}`],
          runScenarioCommand,
        );
      } catch (e) {
        failure = e as Error;
        io.err(`stampede: ${failure.message}`);
      } finally {
        // Whatever happened (a start that failed half-way too), leave no lab behind.
        if (started || ownDir) await runCommand(labCommand, ['down', '--name', name], io);
        if (ownDir) rmSync(stateDir, { recursive: true, force: true });
      }
      dirs.push(k6Dir);
    }

    const page = await writeDashboard(dirs.filter(hasSummary), join(out, 'report.html'), {
      title: 'stampede demo: measured lab pull next to the simulated 1,000-node storm',
      html: `<p>The first section is the discrete-event simulation of ACR's per-layer copy-count sweep
(1,000 nodes pulling one large image cold), calibrated to the published table. The second is a real
pull: k6 virtual users fetching an image through the local geo-replicated lab's global name
(Traffic-Manager DNS, ACR token flow, 307 to storage backends).</p>`,
    });
    io.out(`report: ${page}`);
    return failure ? 1 : 0;
  },
});

function hasSummary(dir: string): boolean {
  return existsSync(join(dir, 'summary.json'));
}
