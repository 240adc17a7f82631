/**
 * A model is a plug-in: this file defines a toy model, registers it, and drives it through
 * the real `stampede sim` entry (help, validation, run directory, envelope, report) without
 * any other file knowing about it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineCommand, runCommand } from '../../lib/cli/command';
import { reportCommand } from '../../lib/cli/commands/report';
import { simCommand } from '../../lib/cli/commands/sim';
import { int, num, numList, strList } from '../../lib/config/schema';
import { InputError } from '../../lib/errors';
import type { Envelope, Point } from '../../lib/results/envelope';
import { quantiles } from '../../lib/results/stats';
import { defineModel } from '../../sim/experiments/model';
import { findModel, listModels, modelCharts, registerModel } from '../../sim/experiments/registry';
import { checkAxis, runSweep, type SweepAxis, sweepPoint } from '../../sim/experiments/sweep';
import { sweepChart } from '../../sim/experiments/sweep-chart';
import { createRng } from '../../sim/kernel';
import { type Captured, capture } from '../helpers/cli';

const rateAxis = (p: { sweep: { rates: number[]; labels: string[] } }): SweepAxis<number> => ({
  path: 'queue.rate',
  values: p.sweep.rates,
  labels: p.sweep.labels,
  labelsField: 'sweep.labels',
});

/**
 * Queue-free toy: `queue.customers` service times drawn from an exponential with mean
 * 1/rate, swept over queue.rate. Its closed form (mean service time 1/rate) is checked below.
 */
const toyModel = defineModel({
  name: 'toy-service',
  summary: 'toy: exponential service times swept over the service rate',
  help: 'Draws queue.customers exponential service times per rate in sweep.rates.\n\n  stampede sim toy-service --set sweep.rates=1,2,4',
  schema: {
    queue: {
      customers: int({ default: 400, min: 1, max: 100_000, doc: 'service times drawn per point' }),
      rate: num({ default: 1, gt: 0, unit: '1/s', doc: 'service rate (set per point by the sweep)' }),
    },
    sweep: {
      rates: numList({ default: [1, 2, 4], gt: 0, unit: '1/s', doc: 'service rate of each point' }),
      labels: strList({ default: ['slow', 'mid', 'fast'], doc: 'one label per rate' }),
    },
  },
  validate(p) {
    // Labels are checked here too (not only when the sweep starts): before the run dir exists.
    checkAxis(rateAxis(p));
    if (p.sweep.rates.some((r) => r > 1000))
      throw new InputError('sweep.rates', 'rates <= 1000 per second', p.sweep.rates);
  },
  run(p, seed, io) {
    const axis = {
      path: 'queue.rate',
      values: p.sweep.rates,
      labels: p.sweep.labels,
      labelsField: 'sweep.labels',
    };
    let events = 0;
    const steps = runSweep(p, axis, (q, step) => {
      const rng = createRng(seed).fork(step.index);
      const times = Array.from({ length: q.queue.customers }, () => rng.exponential(1 / q.queue.rate));
      events += times.length;
      io.raw(times.map((s, i) => ({ point: step.label, customer: i, serviceS: s })));
      io.progress(step.index + 1, axis.values.length, step.label);
      return times;
    });
    const points: Point[] = steps.map((s) => sweepPoint(axis, s, { podStartupS: quantiles(s.result) }));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return { metrics: { meanServiceS: steps.map((s) => mean(s.result)) }, points, events };
  },
  table: (env) => env.points.map((p) => `${p.label}: P50 ${p.metrics.podStartupS?.p50.toFixed(3)} s`),
  charts: [
    sweepChart('toy-rate', 'Toy service time against rate', 'Service-time quantiles per rate.', {
      path: 'queue.rate',
      metric: 'podStartupS',
      xTitle: 'rate (1/s)',
      yTitle: 'seconds',
    }),
  ],
});

registerModel(toyModel);

const root = defineCommand({ name: 'stampede', summary: 'test root', subCommands: { sim: simCommand } });

const cli = (...args: string[]): Promise<Captured> => capture(root, ['sim', ...args]);

const tmp = () => mkdtempSync(join(tmpdir(), 'stampede-toy-'));

describe('a model registered from a test file', () => {
  it('is listed by `stampede sim --help` after the built-in ones, and has its own --help', async () => {
    const names = listModels().map((m) => m.name);
    expect(names.slice(0, 2)).toEqual(['cold-pull', 'copy-sweep']);
    expect(names.at(-1)).toBe('toy-service');
    expect(names.filter((n) => n === 'toy-service')).toHaveLength(1);
    const top = await cli('--help');
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/toy-service\s+toy: exponential service times/);
    expect(top.out).toContain(`Models: ${names.join(', ')}.`);
    const help = await cli('toy-service', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: stampede sim toy-service');
    expect(help.out).toContain('queue.customers = 400');
    expect(help.out).toContain('sweep.rates = [1,2,4] 1/s');
    // No preset folder, no default preset: help says so rather than inventing one.
    expect(help.out).toContain('Presets: (none)');
    expect(help.out).not.toContain('Applied when --preset is not given');
  });

  it('rejects a bad --set (schema) and a bad cross-field value (validate) with exit 2, naming the field', async () => {
    const out = join(tmp(), 'never');
    const bad = await cli('toy-service', '--set', 'queue.customers=0', '--out', out);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('queue.customers');
    const typo = await cli('toy-service', '--set', 'queue.customer=5', '--out', out);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('queue.customers');
    const cross = await cli('toy-service', '--set', 'sweep.rates=1,5000,2', '--out', out);
    expect(cross.code).toBe(2);
    expect(cross.err).toContain('sweep.rates');
    const labels = await cli('toy-service', '--set', 'sweep.labels=a,b', '--out', out);
    expect(labels.code).toBe(2);
    expect(labels.err).toContain('sweep.labels');
    const preset = await cli('toy-service', '--preset', 'acr-copies-2026', '--out', out);
    expect(preset.code).toBe(2);
    expect(preset.err).toContain('--preset');
    // Validation happens before anything is written.
    expect(existsSync(out)).toBe(false);
  });

  it('runs: envelope, summary.json, raw.ndjson, console table and a report with its own chart', async () => {
    const dir = tmp();
    const json = join(dir, 'env.json');
    const r = await cli(
      'toy-service',
      '--seed',
      '7',
      '--set',
      'queue.customers=2000',
      '--out',
      join(dir, 'run'),
      '--json',
      json,
    );
    expect(r.code).toBe(0);
    const env = JSON.parse(readFileSync(json, 'utf8')) as Envelope;
    expect(env).toMatchObject({ tool: 'stampede', kind: 'sim', name: 'toy-service', seed: 7 });
    expect(env.runtime.events).toBe(6000);
    expect(env.runtime.preset).toBeUndefined();
    expect(env.points.map((p) => [p.label, p.params])).toEqual([
      ['slow', { 'queue.rate': 1 }],
      ['mid', { 'queue.rate': 2 }],
      ['fast', { 'queue.rate': 4 }],
    ]);
    // Closed form: the mean of an exponential is 1/rate (2,000 draws: within 10%).
    const means = env.metrics.meanServiceS as number[];
    for (const [i, rate] of [1, 2, 4].entries())
      expect(Math.abs((means[i] as number) * rate - 1)).toBeLessThan(0.1);
    expect(JSON.parse(readFileSync(join(dir, 'run', 'summary.json'), 'utf8'))).toEqual(env);
    const raw = readFileSync(join(dir, 'run', 'raw.ndjson'), 'utf8')
      .trim()
      .split('\n');
    expect(raw).toHaveLength(6000);
    expect(JSON.parse(raw[0] as string)).toMatchObject({ point: 'slow', customer: 0 });
    expect(r.out).toMatch(/^slow: P50 \d+\.\d{3} s\nmid: P50/);
    const html = readFileSync(join(dir, 'run', 'report.html'), 'utf8');
    expect(r.out).toContain(`report: ${join(dir, 'run', 'report.html')}`);
    expect(html).toContain('Toy service time against rate');
    expect(html).toContain('<h1>toy-service');
    // `stampede report <dir>` rebuilds the same page, the model's own chart included.
    rmSync(join(dir, 'run', 'report.html'));
    const rebuilt = await runCommand(
      defineCommand({ name: 'stampede', summary: 'test root', subCommands: { report: reportCommand } }),
      ['report', join(dir, 'run')],
      { out: () => {}, err: () => {}, tty: false },
    );
    expect(rebuilt).toBe(0);
    expect(readFileSync(join(dir, 'run', 'report.html'), 'utf8')).toContain('Toy service time against rate');
  });

  it('is refused a second time, and so is a name the sim command reserves', () => {
    expect(() => registerModel(toyModel)).toThrow(/already registered/);
    expect(() => registerModel({ ...toyModel, name: 'calibrate' })).toThrow(/built-in sim subcommand/);
    expect(() => registerModel({ ...toyModel, name: 'Toy_Model' })).toThrow(/kebab-case/);
    expect(findModel('toy-service')).toBe(toyModel);
    expect(findModel('nope')).toBeUndefined();
  });
});

describe('model charts for a report', () => {
  it("come from the run's model, and only for a simulator run", () => {
    const env = {
      tool: 'stampede',
      kind: 'sim',
      name: 'toy-service',
      seed: 1,
      params: {},
      metrics: {},
      points: [],
    };
    const sim = { ...env, runtime: { wallMs: 0, events: 0 } } as Envelope;
    expect(modelCharts(sim).map((c) => c.id)).toEqual(['toy-rate']);
    expect(modelCharts({ ...sim, kind: 'k6' })).toEqual([]);
    expect(modelCharts({ ...sim, name: 'unknown' })).toEqual([]);
    expect(modelCharts({ ...sim, name: 'copy-sweep' }).map((c) => c.id)).toEqual(['copies-vs-startup']);
  });
});
