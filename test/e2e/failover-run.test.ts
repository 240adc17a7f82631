/**
 * `stampede run failover --target lab` against a real lab with the fast Traffic-Manager
 * settings (2 s probes, 2 tolerated, 1 s timeout, 5 s TTL, 1 s health checks, 4 s
 * sustain), k6's dns.ttl 5 s, and its simulated twin (`stampede sim failover --params
 * <run>/twin-params.json`): the twin predicts the measured per-VU failover and failback
 * P50/P90 within ±10% or ±1 probe interval, and the report overlays the two. A 429 storm
 * and a crashed health monitor fail nothing over, in the lab and in the twin.
 * Lab, k6 and DNS: run under `flock /tmp/stampede-lab.lock`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { labCommand } from '../../lib/cli/commands/lab';
import { runScenarioCommand } from '../../lib/cli/commands/run';
import { simCommand } from '../../lib/cli/commands/sim';
import { compareTwin, TWIN_FILE } from '../../lib/k6/failover/twin';
import { MARKERS } from '../../lib/k6/markers';
import type { Envelope } from '../../lib/results/envelope';
import { MARKER_COLOR } from '../../reports/charts/markers';
import { writeReport } from '../../reports/index';
import { modelCharts } from '../../sim/experiments/registry';
import { capture } from '../helpers/cli';
import { K6, prerequisites, ROOT } from '../helpers/prereq';
import { labUpArgs } from './helpers/lab-up';

const LAB = 'failover-e2e';
const canRun = prerequisites('stampede run failover --target lab', [ROOT, K6]);
const lines: string[] = [];
const io: Io = { out: (t) => lines.push(t), err: (t) => lines.push(t), tty: false };
let home: string;

interface Pair {
  code: number;
  run: Envelope;
  sim: Envelope;
  runDir: string;
  simDir: string;
}
const pairs: Record<string, Pair> = {};

const read = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Envelope;

/** One lab run of the failover scenario and its simulated twin. */
async function runAndTwin(name: string, sets: string[]): Promise<void> {
  const runDir = join(home, `run-${name}`);
  const simDir = join(home, `sim-${name}`);
  const code = await runCommand(
    runScenarioCommand,
    ['failover', '--target', 'lab', '--name', LAB, '--out', runDir, ...sets.flatMap((s) => ['--set', s])],
    io,
  );
  const sim = await capture(simCommand, ['failover', '--params', join(runDir, TWIN_FILE), '--out', simDir]);
  lines.push(sim.out, sim.err);
  expect(sim.code, sim.err).toBe(0);
  pairs[name] = { code, run: read(runDir), sim: read(simDir), runDir, simDir };
}

beforeAll(async () => {
  if (!canRun) return;
  home = mkdtempSync(join(tmpdir(), 'stampede-failover-'));
  process.env.STAMPEDE_LAB_HOME = home;
  const up = await runCommand(
    labCommand,
    labUpArgs(
      LAB,
      'lab.octet=41',
      'regions.names=eastus,westus',
      'storage.backends=2',
      'storage.copies=1',
      'dns.probeIntervalS=2',
      'dns.toleratedFailures=2',
      'dns.probeTimeoutS=1',
      'dns.ttlS=5',
      'health.sustainS=4',
      'health.checkIntervalS=1',
    ),
    io,
  );
  expect(up, lines.join('\n')).toBe(0);
  await runAndTwin('down', ['vus=4', 'durationS=45', 'faultAtS=12', 'clearAtS=28']);
  await runAndTwin('throttle', ['vus=3', 'durationS=20', 'faultAtS=5', 'clearAtS=15', 'fault.kind=throttle']);
  await runAndTwin('crash', [
    'vus=3',
    'durationS=20',
    'faultAtS=5',
    'clearAtS=15',
    'fault.kind=health-monitor-crash',
  ]);
}, 400_000);

afterAll(async () => {
  if (!canRun) return;
  await runCommand(labCommand, ['down', '--name', LAB], io);
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe.runIf(canRun)('stampede run failover --target lab, and its simulated twin', () => {
  it('region-down: every VU fails over to westus and back; exit 0', () => {
    const { code, run } = pairs.down as Pair;
    expect(code, lines.join('\n')).toBe(0);
    const m = run.metrics;
    expect(m.clientsSwitched).toBe(4);
    expect(m.clientsWithoutSuccess).toBe(0);
    expect((m.errors as { byCode: Record<string, number> }).byCode.UNAVAILABLE).toBeGreaterThan(0);
    // Traffic Manager degraded eastus after the 3rd failed probe: within [2·I, 3·I) of the fault.
    expect(m.detectionS as number).toBeGreaterThanOrEqual(4 - 0.1);
    expect(m.detectionS as number).toBeLessThan(6 + 0.1);
    expect((m.failbackS as { p50: number }).p50).toBeGreaterThan(0);
    const served = (m.regionShare as Array<{ region: string; served: number }>)
      .filter((r) => r.region === 'westus')
      .reduce((a, r) => a + r.served, 0);
    expect(served).toBeGreaterThan(0);
  });

  it("the run's page draws the fault and Traffic Manager's switches as marker rules", () => {
    const { runDir } = pairs.down as Pair;
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain(MARKER_COLOR);
    expect(html).toMatch(/injected in eastus/);
    expect(html).toMatch(/ cleared/);
    expect(html).toMatch(/DNS: eastus degraded/);
    expect(existsSync(join(runDir, MARKERS))).toBe(false);
  });

  it('the twin predicts failover and failback P50/P90 within ±10% or ±1 probe interval', () => {
    const { run, sim } = pairs.down as Pair;
    const rows = compareTwin(run.metrics, sim.metrics, 2);
    lines.push(JSON.stringify(rows));
    expect(rows.every((r) => r.measured !== null && r.simulated !== null)).toBe(true);
    for (const r of rows) expect(r.ok, JSON.stringify(r)).toBe(true);
    // The twin's Traffic Manager turned when the lab's did (probe phase from the lab).
    expect(Math.abs((sim.metrics.detectionS as number) - (run.metrics.detectionS as number))).toBeLessThan(
      0.2,
    );
  });

  it('a 429 storm fails nothing over, in the lab and in the twin', () => {
    const { code, run, sim } = pairs.throttle as Pair;
    expect(code, lines.join('\n')).toBe(0);
    expect(run.metrics.detectionS).toBeNull();
    expect(run.metrics.clientsSwitched).toBe(0);
    expect((run.metrics.errors as { byCode: Record<string, number> }).byCode.TOOMANYREQUESTS).toBeGreaterThan(
      0,
    );
    expect(sim.metrics.detectionS).toBeNull();
    expect(sim.metrics.clientsSwitched).toBe(0);
  });

  it('a crashed health monitor fails open: no failover, pulls keep working, in both', () => {
    const { code, run, sim } = pairs.crash as Pair;
    expect(code, lines.join('\n')).toBe(0);
    expect(run.metrics.detectionS).toBeNull();
    expect(run.metrics.clientsSwitched).toBe(0);
    expect((run.metrics.errors as { total: number }).total).toBe(0);
    expect(sim.metrics.detectionS).toBeNull();
    expect(sim.metrics.clientsSwitched).toBe(0);
  });

  it('stampede report <run> <sim> overlays the measured and simulated CDFs and region shares', async () => {
    const { runDir, simDir } = pairs.down as Pair;
    const page = readFileSync(
      await writeReport([runDir, simDir], undefined, { charts: modelCharts }),
      'utf8',
    );
    for (const id of ['compare-failover-cdf', 'compare-failover-region-share']) expect(page).toContain(id);
    expect(page).toContain('(measured)');
    expect(page).toContain('(simulated)');
  });
});
