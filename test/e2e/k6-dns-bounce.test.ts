/**
 * `stampede run dns-bounce --target lab` end to end, and its twin in the scatter model: a
 * two-region lab whose global name flaps, k6 pushing through it with dns.ttl 0 and a fresh
 * connection per request. `none` scatters a measurable share (each scattered push failed
 * with BLOB_UPLOAD_UNKNOWN or MANIFEST_BLOB_UNKNOWN, none succeeded), `regional` and
 * `dns-pin` scatter none in the same run, and the model given the run's flap interval and
 * measured push span predicts `none`'s share within 5 percentage points. The run also
 * measures the replication lag of its own pushes per region (metrics.replicationLagS).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { labCommand } from '../../lib/cli/commands/lab';
import { runScenarioCommand } from '../../lib/cli/commands/run';
import type { Envelope } from '../../lib/results/envelope';
import { K6, prerequisites, REGISTRY, ROOT } from '../helpers/prereq';
import { labUpArgs } from './helpers/lab-up';

const LAB = 'dnsbounce';
const canRun = prerequisites('stampede run dns-bounce --target lab', [ROOT, K6, REGISTRY]);
let home: string;
let out: string;
let code: number;
const lines: string[] = [];
const io: Io = { out: (t) => lines.push(t), err: (t) => lines.push(t), tty: false };

interface Row {
  mitigation: string;
  pushes: number;
  scattered: number;
  scatteredShare: number;
  failed: number;
  modeledShare: number | null;
}

beforeAll(async () => {
  if (!canRun) return;
  home = mkdtempSync(join(tmpdir(), 'stampede-bounce-'));
  out = join(home, 'run');
  process.env.STAMPEDE_LAB_HOME = home;
  const up = await runCommand(labCommand, labUpArgs(LAB, 'lab.octet=31', 'regions.names=eastus,westus'), io);
  expect(up, lines.join('\n')).toBe(0);
  code = await runCommand(
    runScenarioCommand,
    [
      'dns-bounce',
      '--target',
      'lab',
      '--name',
      LAB,
      '--out',
      out,
      ...[
        'mitigations=none,regional,dns-pin',
        // 600 pushes: the scattered share is a binomial count, so at 300 its SD alone was
        // 2.6 pp at a 29 % share and a ±5 pp check failed once in ~8 CI runs on sampling
        // noise (22.7 % measured vs 28.8 % modeled); at 600 it is <= 2 pp at any share (8 VUs:
        // 16 swamped the lab's replicator and doubled the spans).
        'pushes=600',
        'vus=8',
        'layers=1',
        // A one-layer push spans ~0.1-0.35 s here: the scattered share is about span/interval,
        // so a 2 s flap keeps it measurable (>= 10 of 300) on a quiet machine too (a 4 s flap
        // gave 5/300 once, with the model agreeing at 2.4%).
        'flap.intervalS=2',
        'dns.ttl=0',
        // a pause uniform over a whole interval: push starts at a uniform phase of the flap
        'pauseS=2',
      ].flatMap((s) => ['--set', s]),
    ],
    io,
  );
}, 900_000);

afterAll(async () => {
  if (!canRun) return;
  await runCommand(labCommand, ['down', '--name', LAB], io);
  rmSync(home, { recursive: true, force: true });
  // lab down waited more than 60 s once on the shared machine (load 17): room to finish.
}, 180_000);

describe.runIf(canRun)('stampede run dns-bounce --target lab', () => {
  const rows = () => {
    const env = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Envelope;
    return { env, rows: env.metrics.scatter as Row[] };
  };

  it('none scatters a measurable share; regional and dns-pin scatter none in the same run', () => {
    expect(code, lines.join('\n')).toBe(0);
    const { env, rows: r } = rows();
    const by = (m: string) => r.find((x) => x.mitigation === m) as Row;
    expect(by('none').pushes).toBe(600);
    expect(by('none').scattered).toBeGreaterThanOrEqual(10);
    for (const m of ['regional', 'dns-pin'])
      expect(by(m), m).toMatchObject({ pushes: 600, scattered: 0, failed: 0 });
    const none = env.points.find((p) => p.label === 'none')?.metrics as Record<string, unknown>;
    // every scattered push failed, with one of the two scatter codes, and nothing else failed
    expect(none.scatteredOk).toBe(0);
    const byCode = (none.errors as { byCode: Record<string, number> }).byCode;
    expect(
      Object.keys(byCode).every((c) => c === 'BLOB_UPLOAD_UNKNOWN' || c === 'MANIFEST_BLOB_UNKNOWN'),
    ).toBe(true);
    expect(by('none').failed).toBe(by('none').scattered);
  });

  it("the scatter model with the run's flap interval and measured push span predicts none within 5 pp", () => {
    const { env, rows: r } = rows();
    const none = r.find((x) => x.mitigation === 'none') as Row;
    expect(env.metrics.model).toMatchObject({
      resolver: 'per-request',
      flapIntervalS: 2,
      flapRegions: 2,
      subRequests: 5,
    });
    expect(none.modeledShare).not.toBeNull();
    expect(
      Math.abs(none.scatteredShare - (none.modeledShare as number)),
      JSON.stringify(none),
    ).toBeLessThanOrEqual(0.05);
  });

  it("measures the replication lag of the run's pushes per region, from the lab's per-replica events", () => {
    const { env } = rows();
    const lag = env.metrics.replicationLagS as unknown as {
      p50: number;
      n: number;
      expected: number;
      byRegion: Record<string, { p50: number; n: number }>;
    };
    // every ok push lands once in the other region; the flap pushed to both, so both received.
    // The run waits (lagDrainS, 30 s) for the lab's backlog after k6: on a loaded machine the
    // replicator may still be behind then, so the landings seen are counted against it, not
    // required to equal it.
    expect(lag.expected).toBe((env.metrics.pushes as { ok: number }).ok);
    expect(lag.n).toBeLessThanOrEqual(lag.expected);
    expect(Object.keys(lag.byRegion).sort()).toEqual(['eastus', 'westus']);
    for (const [r, q] of Object.entries(lag.byRegion)) {
      expect(q.n, r).toBeGreaterThanOrEqual(10);
      // the lab's configured base lag (1 s, jitter 0) is the floor of every landing
      expect(q.p50, r).toBeGreaterThanOrEqual(1);
    }
    const cdf = env.metrics.lagCdf as Array<{ region: string }>;
    expect(new Set(cdf.map((c) => c.region))).toEqual(new Set(['eastus', 'westus']));
  });

  it('the flap is cleared after the run and the page has the lab-vs-model and lag charts', async () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Scattered pushes per mitigation: lab vs model');
    expect(html).toContain('Replication lag per region');
    const faults: string[] = [];
    await runCommand(labCommand, ['fault', 'list', '--name', LAB], { ...io, out: (t) => faults.push(t) });
    expect(faults.join('\n')).not.toContain('dns-flap');
  });
});
