/**
 * The copy-count loop end to end, small: a real lab (8 backends, a low ceiling and a
 * stream floor so one copy throttles), `stampede run copy-sweep` with real k6 at 1, 2 and 8
 * copies (40 VUs), `stampede sim calibrate --target <that run>`, `stampede sim copy-sweep
 * --preset <the fit>`, and `stampede report <measured> <simulated>`. Asserts the shapes and
 * the files, never a duration (the full loop, with figures, is bench/lab-copy-sweep.ts).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { labCommand } from '../../lib/cli/commands/lab';
import { rootCommand } from '../../lib/cli/main';
import type { Envelope } from '../../lib/results/envelope';
import { readLabSweep } from '../../sim/experiments/lab-calibrate';
import { capture } from '../helpers/cli';
import { K6, prerequisites, REGISTRY, ROOT } from '../helpers/prereq';
import { labUpArgs } from './helpers/lab-up';

const LAB = 'sweepe2e';
const canRun = prerequisites('the lab copy-sweep loop', [ROOT, K6, REGISTRY]);
const quiet: Io = { out: () => {}, err: () => {}, tty: false };

let home: string;
let runDir: string;
let sweep: { code: number; out: string; err: string };

beforeAll(async () => {
  if (!canRun) return;
  home = mkdtempSync(join(tmpdir(), 'stampede-sweepe2e-'));
  process.env.STAMPEDE_LAB_HOME = home;
  const up = await runCommand(
    labCommand,
    labUpArgs(
      LAB,
      'lab.octet=7',
      'regions.names=eastus',
      'storage.backends=8',
      'storage.copies=2',
      'storage.ceilingBps=2000000',
      'storage.minStreamBps=100000',
      'storage.streamBps=131072',
    ),
    quiet,
  );
  expect(up).toBe(0);
  runDir = join(home, 'sweep');
  sweep = await capture(rootCommand, [
    'run',
    'copy-sweep',
    '--target',
    'lab',
    '--name',
    LAB,
    '--out',
    runDir,
    '--set',
    'copies=1,2,8',
    '--set',
    'vus=40',
    '--set',
    'layers=131072,131072,131072,131072',
    '--set',
    'verifySample=0.25',
  ]);
}, 600_000);

afterAll(async () => {
  if (!canRun) return;
  await runCommand(labCommand, ['down', '--name', LAB], quiet);
  rmSync(home, { recursive: true, force: true });
});

describe.runIf(canRun)('lab copy sweep: measure, calibrate, predict, overlay', () => {
  it('measures one point per copy count, in sim copy-sweep point shape', () => {
    expect(sweep.code, sweep.err).toBe(0);
    for (const l of ['point 1/3 C=1', 'point 2/3 C=2', 'point 3/3 C=8']) expect(sweep.err).toContain(l);
    const env = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Envelope;
    expect(env.name).toBe('copy-sweep');
    expect(env.points.map((p) => p.label)).toEqual(['C=1', 'C=2', 'C=8']);
    expect(env.params.lab).toMatchObject({
      backends: 8,
      ceilingBps: 2e6,
      minStreamBps: 1e5,
      streamBps: 131072,
    });
    for (const p of env.points) {
      expect(p.params['workload.nodes']).toBe(40);
      expect(p.metrics.pulls).toEqual({ ok: 40, failed: 0 });
      expect(p.metrics.pullS?.p99).toBeGreaterThan(0);
      expect(p.metrics.podStartupS).toEqual(p.metrics.pullS);
      // The client region's 8 backends, each with its ceiling.
      expect(p.metrics.backends?.map((b) => b.ceilingBps)).toEqual(Array(8).fill(2e6));
      expect(p.metrics.nodeEgressBps?.p50).toBeGreaterThan(0);
    }
    // 40 VUs on one copy of each blob against a floor of 20 streams a backend: refused. At 8
    // copies the registry picks a copy at random, so a backend meets Binomial(120, 1/8)
    // streams (mean 15): now and then over 20 (one 503 in a run at 08:35), far fewer.
    const t = env.points.map((p) => p.metrics.throttleEvents ?? 0);
    expect(t[0]).toBeGreaterThan(10);
    expect(t[2]).toBeLessThan((t[0] as number) / 5);
    // Raw data per point, streamed: each point its own cold-pull run dir, listed as it finished.
    const pts = readdirSync(join(runDir, 'points'));
    expect(pts).toHaveLength(3);
    for (const d of pts) expect(existsSync(join(runDir, 'points', d, 'raw.ndjson'))).toBe(true);
    expect(readFileSync(join(runDir, 'points.ndjson'), 'utf8').trim().split('\n')).toHaveLength(3);
    // Each point's start and end are markers of the sweep, drawn on its page as one bar each.
    const marks = readFileSync(join(runDir, 'raw.ndjson'), 'utf8').trim().split('\n');
    expect(marks.map((l) => (JSON.parse(l) as { label: string }).label)).toEqual(
      env.points.flatMap((p) => [`${p.label} starts`, `${p.label} ends`]),
    );
    const page = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(page).toContain('data-chart="sweep-timeline"');
    // The points' k6 output is folded in: load over time and the pull anatomy span the sweep.
    expect(page).toContain('data-chart="load"');
    expect(page).toContain('data-chart="pull-anatomy"');
  });

  it("places each point's layers where the lab put them: the twin's placement is the lab's", () => {
    // At one copy a layer is served by its first-ranked backend alone, so the backends that
    // served a layer's worth of bytes are exactly the ranking's heads (the config blob, a few
    // hundred bytes, may land anywhere).
    const sweepRead = readLabSweep(runDir);
    const env = sweepRead.envelope;
    const one = sweepRead.points[0];
    expect(one?.copies).toBe(1);
    expect(one?.ranking).toHaveLength(4);
    const heads = new Set(one?.ranking?.map((r) => `eastus-b${r[0]}`));
    const served = new Set(
      (env.points[0]?.metrics.backends ?? []).filter((b) => b.bytes >= 131072).map((b) => b.id),
    );
    expect([...served].sort()).toEqual([...heads].sort());
    for (const p of sweepRead.points) expect(p.ranking, p.label).toBeDefined();
  });

  it("refuses copies above the lab's backends before running anything (exit 2 naming copies)", async () => {
    const r = await capture(rootCommand, [
      'run',
      'copy-sweep',
      '--target',
      'lab',
      '--name',
      LAB,
      '--set',
      'copies=4,16',
      '--out',
      join(home, 'bad'),
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('copies');
    expect(r.err).toContain('16');
    expect(existsSync(join(home, 'bad'))).toBe(false);
  });

  it('calibrates on it, predicts with the preset, and overlays the two', async () => {
    const fit = await capture(rootCommand, [
      'sim',
      'calibrate',
      '--target',
      runDir,
      '--iterations',
      '40',
      '--seeds',
      '2',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const preset = join(runDir, 'sim-preset.json');
    expect(JSON.parse(readFileSync(preset, 'utf8')).params.lab).toMatchObject({
      enabled: true,
      minStreamBps: 1e5,
    });
    // The same sweep predicted by its own fit, point by point with its recorded placement.
    const again = await capture(rootCommand, [
      'sim',
      'calibrate',
      '--target',
      runDir,
      '--preset',
      preset,
      '--seeds',
      '2',
    ]);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('3 of 3 points with their recorded placement');
    const simDir = join(home, 'predicted');
    const sim = await capture(rootCommand, [
      'sim',
      'copy-sweep',
      '--preset',
      preset,
      '--set',
      'sweep.copies=1,2,8',
      '--out',
      simDir,
    ]);
    expect(sim.code, sim.err).toBe(0);
    const rep = await capture(rootCommand, ['report', runDir, simDir]);
    expect(rep.code, rep.err).toBe(0);
    const html = readFileSync(join(runDir, 'compare.html'), 'utf8');
    expect(html).toContain('Simulated vs measured, per point');
  });
});
