/**
 * `stampede demo`: the copy-count loop at small scale. It starts a small local lab, measures
 * a copy sweep through it with the real k6 (one cold pull per copy count, the backends'
 * ceilings low enough that one copy throttles), fits the simulator to that measured sweep
 * (the lab's own physics), predicts the same points with the fit, stops the lab, and ends
 * with the path of one page that overlays simulated and measured per point. Composed only
 * of the public commands, so what the demo does, a user can do step by step. --skip-lab
 * simulates the ACR post's 1,000-node sweep instead (no lab to measure).
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeDashboard, writeReport } from '../../../reports/index';
import { RunError } from '../../errors';
import { coldPullSchema } from '../../k6/scenarios';
import { labHome } from '../../lab/topology';
import { outDirClaim } from '../../results/run-dir';
import { defineCommand, flagString, type Io, runCommand } from '../command';
import { labCommand } from './lab';
import { runScenarioCommand } from './run';
import { simCommand } from './sim';

/**
 * A lab small enough for a laptop or CI box: 2 regions, 4 backends (served over HTTPS, as
 * Azure Storage serves them), quick DNS probes; a 2 MB/s ceiling per backend, a 128 KiB/s
 * stream and a floor of 20 streams a backend: at one copy a backend that holds two blobs of
 * a batch meets 40 VUs' streams and refuses; at four copies every backend holds every blob
 * and 20 VUs spread to 15 streams each, none refused.
 */
export const DEMO_LAB_SETS = [
  'regions.names=eastus,westus',
  'regions.clientRegion=eastus',
  'storage.backends=4',
  'storage.copies=1',
  'storage.tls=true',
  'storage.ceilingBps=2000000',
  'storage.minStreamBps=100000',
  'storage.streamBps=131072',
  'dns.probeIntervalS=2',
  'dns.probeTimeoutS=1',
  'dns.ttlS=5',
  'health.sustainS=4',
];

/** The demo's sweep: copy counts and the image seeded fresh for each point. */
const DEMO_COPIES = '1,2,4';
const DEMO_LAYERS = '131072,131072,131072,131072';

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
1. stampede lab up --detach --name demo<N>               (2 regions, real registries, DNS, storage)
2. stampede run copy-sweep --target lab --name demo<N> --set copies=1,2,4 --set vus=20
                                                         (real k6, one cold pull per copy count)
3. stampede sim calibrate --target <2>                   (the simulator fitted in the lab's physics)
4. stampede sim copy-sweep --preset <2>/sim-preset.json --set sweep.copies=1,2,4
                                                         (the fit predicting the same points)
5. stampede lab down --name demo<N>                       (and its state dir is removed)
6. one HTML page overlaying measured and simulated per point: <out>/report.html

demo<N> is a lab name of its own per demo (N from the process id), so a demo never touches
a lab you started yourself; its state dir (.lab/demo<N>/: CA keys, logs) goes when the lab
goes down. Flags are checked before step 1: a bad one exits 2 and starts nothing.
--skip-lab runs \`stampede sim copy-sweep --preset acr-copies-2026\` (the ACR 1,000-node
table, simulated) instead.

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
    const name = `demo${process.pid % 10000}`;
    if (ctx.flags['skip-lab']) {
      const simDir = join(out, 'sim-copy-sweep');
      await step(io, 'simulate', ['copy-sweep', '--preset', 'acr-copies-2026', '--out', simDir], simCommand);
      const page = await writeDashboard([simDir], join(out, 'report.html'), {
        title: "stampede demo: ACR's copy-count sweep, simulated",
        html: `<p>The discrete-event simulation of ACR's per-layer copy-count sweep (1,000 nodes pulling one
large image cold), calibrated to the published table. Without --skip-lab the demo measures a copy
sweep in a local lab and fits the simulator to it.</p>`,
      });
      io.out(`report: ${page}`);
      return 0;
    }
    const k6Dir = join(out, 'k6-copy-sweep');
    const simDir = join(out, 'sim-copy-sweep');
    let failure: Error | undefined;
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
        'measure a copy sweep with k6',
        [
          'copy-sweep',
          '--target',
          'lab',
          '--name',
          name,
          '--out',
          k6Dir,
          '--set',
          `copies=${DEMO_COPIES}`,
          '--set',
          `vus=${vus}`,
          '--set',
          `layers=${DEMO_LAYERS}`,
        ],
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
    if (!failure)
      try {
        await step(
          io,
          'fit the simulator to the measured sweep',
          ['calibrate', '--target', k6Dir, '--iterations', '40', '--seeds', '2'],
          simCommand,
        );
        await step(
          io,
          'predict the same points with the fit',
          [
            'copy-sweep',
            '--preset',
            join(k6Dir, 'sim-preset.json'),
            '--set',
            `sweep.copies=${DEMO_COPIES}`,
            '--set',
            `workload.nodes=${vus}`,
            '--out',
            simDir,
          ],
          simCommand,
        );
      } catch (e) {
        failure = e as Error;
        io.err(`stampede: ${failure.message}`);
      }
    const dirs = [k6Dir, simDir].filter(hasSummary);
    if (dirs.length === 0) return 1;
    // The comparison first (measured vs fitted), then the measured run's own charts.
    const page = await writeReport(dirs, join(out, 'report.html'), { runSections: true });
    io.out(`report: ${page}`);
    return failure ? 1 : 0;
  },
});

function hasSummary(dir: string): boolean {
  return existsSync(join(dir, 'summary.json'));
}
