/**
 * `--jobs N`: a sweep's points on worker threads give the same envelope and the same raw
 * records, in the same order, as a serial run (runtime aside), for copy-sweep through the
 * CLI and for a plug-in model that writes its io from inside its points.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineCommand } from '../../lib/cli/command';
import { simCommand } from '../../lib/cli/commands/sim';
import { resolve, type Schema } from '../../lib/config/schema';
import type { ModelDef, ModelIo } from '../../sim/experiments/model';
import { simulate, simulateJobs } from '../../sim/experiments/simulate';
import { parseJobs, type SweepJobsError } from '../../sim/experiments/sweep-jobs';
import { toyJobsModel } from '../fixtures/sim/toy-jobs-model';
import { capture } from '../helpers/cli';

const root = defineCommand({ name: 'stampede', summary: 'test root', subCommands: { sim: simCommand } });
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'stampede-jobs-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** summary.json without runtime (wall time, jobs), as text: the comparison is byte for byte. */
const withoutRuntime = (dir: string) => {
  const { runtime: _, ...rest } = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  return JSON.stringify(rest);
};

/** Every io call in order, as text. */
function recorder(): { io: ModelIo; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    io: {
      raw: (r) => calls.push(`raw ${JSON.stringify(r)}`),
      progress: (d, t, l) => calls.push(`progress ${d}/${t} ${l}`),
    },
  };
}

describe('stampede sim <model> --jobs N', () => {
  it('copy-sweep with --jobs 2 writes the same summary.json and raw.ndjson bytes as a serial run', async () => {
    const [serial, jobs] = [tmp(), tmp()];
    const args = ['sim', 'copy-sweep', '--set', 'workload.nodes=120', '--seed', '7'];
    const a = await capture(root, [...args, '--out', serial]);
    const b = await capture(root, [...args, '--jobs', '2', '--out', jobs]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(withoutRuntime(jobs)).toBe(withoutRuntime(serial));
    const raw = readFileSync(join(serial, 'raw.ndjson'), 'utf8');
    expect(raw.split('\n').length).toBeGreaterThan(5 * 120);
    expect(readFileSync(join(jobs, 'raw.ndjson'), 'utf8')).toBe(raw);
    const summary = JSON.parse(readFileSync(join(jobs, 'summary.json'), 'utf8'));
    expect(summary.points).toHaveLength(5);
    expect(summary.runtime.jobs).toBe(2);
    expect(summary.runtime.pointsOnWorkers).toBeGreaterThanOrEqual(0);
    // The console table is the same too (it is drawn from the envelope).
    expect(b.out.replace(/run: .*|report: .*/g, '')).toBe(a.out.replace(/run: .*|report: .*/g, ''));
  });

  it('copy-sweep with every point on workers (its ColdPullRun crosses threads): same envelope and io', async () => {
    const { copySweepModel } = await import('../../sim/models/copy-sweep/plugin');
    const def = copySweepModel as unknown as ModelDef;
    const params = resolve(def.schema as Schema, [], ['workload.nodes=60']);
    const serial = recorder();
    const par = recorder();
    const a = simulate(def, params, 5, serial.io);
    const b = await simulateJobs(def, params, 5, par.io, 3, { computeHere: false });
    expect(b.runtime.pointsOnWorkers).toBe(5);
    expect(par.calls.filter((c) => !c.includes('points (--jobs'))).toEqual(serial.calls);
    const { runtime: _a, ...ea } = a;
    const { runtime: _b, ...eb } = b;
    expect(JSON.stringify(eb)).toBe(JSON.stringify(ea));
    // events are summed in onStep, on this thread: the same as serial too.
    expect(b.runtime.events).toBe(a.runtime.events);
  });

  it('a plug-in sweep writing io from inside its points: same envelope and io calls in order (points on 1 or 2 workers, or shared)', async () => {
    const def = toyJobsModel as unknown as ModelDef;
    const params = resolve(def.schema as Schema, [], ['queue.customers=300']);
    const serial = recorder();
    const envSerial = simulate(def, params, 11, serial.io);
    for (const [jobs, computeHere] of [
      [2, false],
      [3, false],
      [2, true],
    ] as const) {
      const par = recorder();
      const env = await simulateJobs(def, params, 11, par.io, jobs, { computeHere });
      // Without this thread, every point came from a worker (which loaded the model from its module).
      if (!computeHere) expect(env.runtime.pointsOnWorkers).toBe(5);
      // Live "k of n points" progress is extra under --jobs; everything else is the serial sequence.
      expect(par.calls.filter((c) => !c.includes('points (--jobs'))).toEqual(serial.calls);
      const { runtime: _a, ...a } = envSerial;
      const { runtime: _b, ...b } = env;
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    }
    expect(serial.calls.filter((c) => c.startsWith('raw')).length).toBe(5 + 1);
  });

  it('a point that fails on a worker or here fails the run with its message', async () => {
    const def = toyJobsModel as unknown as ModelDef;
    for (const [label, computeHere] of [
      ['r1', false],
      ['r16', true],
    ] as const) {
      const params = resolve(def.schema as Schema, [], [`sweep.failLabel=${label}`, 'queue.customers=50']);
      const err = await simulateJobs(def, params, 1, recorder().io, 2, { computeHere }).catch(
        (e: unknown) => e,
      );
      expect(String((err as Error).message)).toMatch(new RegExp(`point ${label} fails on purpose`));
      // A worker's failure is wrapped (SIM_JOBS_FAILED); this thread's own is rethrown as it is.
      if (!computeHere) expect((err as SweepJobsError).code).toBe('SIM_JOBS_FAILED');
    }
  });

  it('a model without a sweep runs once and writes its io once', async () => {
    const { coldPullModel } = await import('../../sim/models/cold-pull/plugin');
    const def = coldPullModel as unknown as ModelDef;
    const params = resolve(def.schema as Schema, [], ['workload.nodes=50']);
    const serial = recorder();
    const par = recorder();
    const a = simulate(def, params, 3, serial.io);
    const b = await simulateJobs(def, params, 3, par.io, 2);
    expect(par.calls).toEqual(serial.calls);
    expect(JSON.stringify(b.points)).toBe(JSON.stringify(a.points));
  });

  it('--jobs takes an integer >= 1 (default 1)', async () => {
    expect(parseJobs(undefined)).toBe(1);
    expect(parseJobs('2')).toBe(2);
    for (const bad of ['0', '1.5', '-1', 'x', '']) expect(() => parseJobs(bad)).toThrow(/--jobs/);
    const r = await capture(root, ['sim', 'copy-sweep', '--jobs', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--jobs/);
  });
});
