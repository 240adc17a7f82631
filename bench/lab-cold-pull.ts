/**
 * Capacity bench (figures, never assertions): a 3-region lab with 4 backends each, then
 * `stampede run cold-pull` with many VUs pulling through the global name at once.
 *   node --import tsx bench/lab-cold-pull.ts [vus=1000] [layers=1048576,1048576] [tls=false]
 * tls=true serves the storage backends over HTTPS (storage.tls): the cost of a TLS
 * handshake per backend a VU meets.
 * Prints pulls ok/failed, errors by code, throttling, pull quantiles, per-backend bytes
 * and the lab supervisor's peak RSS (from /proc) while the run goes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../lib/cli/command';
import { labCommand } from '../lib/cli/commands/lab';
import { runScenarioCommand } from '../lib/cli/commands/run';
import { labClient, labSocketPath } from '../lib/lab/lab-client';
import type { Envelope } from '../lib/results/envelope';

const vus = Number(process.argv[2] ?? 1000);
const layers = process.argv[3] ?? '1048576,1048576';
const tls = process.argv[4] === 'true';
const LAB = 'benchpull';
const home = mkdtempSync(join(tmpdir(), 'stampede-bench-'));
process.env.STAMPEDE_LAB_HOME = home;

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

try {
  const up = await runCommand(labCommand, [
    'up',
    '--detach',
    '--name',
    LAB,
    '--set',
    'storage.backends=4',
    '--set',
    'storage.copies=2',
    '--set',
    `storage.tls=${tls}`,
  ]);
  if (up !== 0) throw new Error(`lab up exited ${up}`);
  const { pid } = await labClient(labSocketPath(LAB)).health();
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 250);
  const out = join(home, 'run');
  const code = await runCommand(runScenarioCommand, [
    'cold-pull',
    '--target',
    'lab',
    '--name',
    LAB,
    '--out',
    out,
    '--set',
    `vus=${vus}`,
    '--set',
    `layers=${layers}`,
    '--set',
    'maxDurationS=600',
  ]);
  clearInterval(sampler);
  const env = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Envelope;
  const m = env.metrics as Record<string, unknown>;
  console.log(
    JSON.stringify(
      {
        vus,
        layers,
        storageTls: tls,
        exit: code,
        pulls: m.pulls,
        errors: m.errors,
        throttleEvents: m.throttleEvents,
        pullS: m.pullS,
        wallMs: env.runtime.wallMs,
        backends: m.backends,
        supervisorPeakRssMiB: Math.round(peak / 2 ** 20),
      },
      null,
      2,
    ),
  );
} finally {
  await runCommand(labCommand, ['down', '--name', LAB]);
  rmSync(home, { recursive: true, force: true });
}
