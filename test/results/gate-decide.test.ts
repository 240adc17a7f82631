/**
 * The gate's decisions on real simulator runs (in-process, small node counts): identical
 * seeds pass, other seeds of one configuration pass (no false failure in 10 comparisons),
 * fewer copies per layer fails naming the metric, too few samples is inconclusive with the
 * number needed, and runs that are not comparable are refused naming the difference.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolve } from '../../lib/config/schema';
import type { Envelope } from '../../lib/results/envelope';
import { checkComparable, NotComparableError } from '../../lib/results/gate/comparable';
import { decideGate, type GateRun, gateExitCode } from '../../lib/results/gate/decide';
import { defaultRules, parseRules } from '../../lib/results/gate/rules';
import { samplesOf } from '../../lib/results/gate/samples';
import { parseNdjson } from '../../lib/results/ndjson';
import type { ModelIo } from '../../sim/experiments/model';
import { loadPreset } from '../../sim/experiments/presets';
import { simulate } from '../../sim/experiments/simulate';
import { coldPullModel } from '../../sim/models/cold-pull/plugin';
import { copySweepModel } from '../../sim/models/copy-sweep/plugin';
import { inputError } from '../helpers/input-error';

/** Records in memory: the same records `stampede sim` streams to raw.ndjson. */
function memoryWriter(): ModelIo & { records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  return {
    records,
    raw: (rs) => records.push(...(rs as Record<string, unknown>[])),
    progress: () => {},
  };
}

const preset = () => [
  { source: 'preset acr-copies-2026', tree: loadPreset('acr-copies-2026', 'copy-sweep').params },
];
const coldPullSchema = coldPullModel.schema;
const copySweepSchema = copySweepModel.schema;

function coldPull(copies: number, seed: number, nodes = 500): GateRun {
  const params = resolve(coldPullSchema, preset(), [`workload.nodes=${nodes}`, `storage.copies=${copies}`]);
  const raw = memoryWriter();
  const envelope = simulate(coldPullModel, params, seed, raw);
  return {
    envelope,
    raw: raw.records,
    dir: `(copies ${copies} seed ${seed})`,
    label: `C=${copies} seed ${seed}`,
  };
}

const gate = (b: GateRun, c: GateRun, rules = defaultRules(b.envelope.kind, b.envelope.name)) =>
  decideGate({
    baseline: b,
    candidate: c,
    rules,
    allowedDiffs: checkComparable(b.envelope, c.envelope, ['storage.copies']),
  });

describe('gate on simulator runs', () => {
  const base = coldPull(12, 1);

  it('passes identical seeds: every check passes with a zero difference', () => {
    const r = gate(base, coldPull(12, 1));
    expect(r.verdict).toBe('pass');
    expect(r.checks.map((c) => c.metric)).toEqual([
      'podStartupS.p50',
      'podStartupS.p90',
      'podStartupS.p99',
      'throttleEvents',
      'errors.total',
    ]);
    for (const c of r.checks) expect(c.delta, c.name).toBe(0);
    expect(gateExitCode(r)).toBe(0);
    expect(r.notes).toEqual([]);
  });

  it('fails a degraded candidate (copies 2 against 12), naming the metrics', () => {
    // At the post's 1,000 nodes: at 500, two copies cost P99 only +4.6 % (+29 s) under the
    // preset's back-off, an inconclusive check against a 5 % allowance, not a regression.
    const r = gate(coldPull(12, 1, 1000), coldPull(2, 1, 1000));
    expect(r.verdict).toBe('fail');
    expect(gateExitCode(r)).toBe(1);
    const failed = r.checks.filter((c) => c.verdict === 'fail');
    expect(failed.map((c) => c.metric)).toEqual(
      expect.arrayContaining(['podStartupS.p99', 'throttleEvents']),
    );
    const p99 = failed.find((c) => c.metric === 'podStartupS.p99');
    // The whole interval lies beyond the allowance: that is what made it a failure.
    expect(p99?.ci?.lo).toBeGreaterThan(p99?.allowance as number);
    expect(p99?.message).toMatch(
      /^regression: podStartupS\.p99 [\d.]+ s -> [\d.]+ s \(\+[\d.]+ s, \+[\d.]+%\); 95% CI/,
    );
  });

  it('passes other seeds of one configuration: no false failure in 10 comparisons', () => {
    const verdicts: string[] = [];
    let prev = coldPull(12, 100);
    for (let seed = 101; seed <= 110; seed++) {
      const next = coldPull(12, seed);
      const r = gate(prev, next);
      verdicts.push(...r.checks.map((c) => `${c.verdict}`));
      expect(
        r.checks.filter((c) => c.verdict === 'fail'),
        `seed ${seed - 1} vs ${seed}`,
      ).toEqual([]);
      prev = next;
    }
    expect(verdicts.length).toBe(50);
  });

  it('is inconclusive with too few samples, naming the number needed', () => {
    const r = gate(coldPull(12, 1, 60), coldPull(12, 2, 60));
    const p99 = r.checks.find((c) => c.metric === 'podStartupS.p99');
    expect(p99).toMatchObject({
      verdict: 'inconclusive',
      samples: { baseline: 60, candidate: 60, needed: 500 },
    });
    expect(p99?.message).toMatch(
      /too few samples: baseline 60, candidate 60; podStartupS\.p99 needs at least 500 per run/,
    );
    // p50 has enough (10) and is decided.
    expect(r.checks.find((c) => c.metric === 'podStartupS.p50')?.verdict).not.toBe('inconclusive');
    expect(r.verdict).toBe('inconclusive');
    expect(gateExitCode(r)).toBe(0);
    expect(gateExitCode({ ...r, strict: true })).toBe(1);
  });

  it('decides a sweep per configuration and a rule pinned to one point', () => {
    const params = resolve(copySweepSchema, preset(), [
      'workload.nodes=200',
      'sweep.copies=2,12',
      'sweep.labels=Low,Mid',
    ]);
    const run = (seed: number): GateRun => {
      const raw = memoryWriter();
      return {
        envelope: simulate(copySweepModel, params, seed, raw),
        raw: raw.records,
        dir: 'x',
        label: `s${seed}`,
      };
    };
    const a = run(1);
    const rules = parseRules(
      { rules: [{ metric: 'podStartupS.p90', point: 'Mid', tolerance: { relative: 0.05 } }] },
      'rules.json',
    );
    const r = decideGate({ baseline: a, candidate: run(1), rules });
    expect(r.checks.map((c) => c.name)).toEqual(['podStartupS.p90 @ Mid']);
    expect(r.checks[0]?.samples).toEqual({ baseline: 200, candidate: 200, needed: 50 });
    const all = decideGate({ baseline: a, candidate: run(2), rules: defaultRules('sim', 'copy-sweep') });
    expect(all.checks.map((c) => c.name)).toContain('podStartupS.p99 @ Low');
    expect(all.checks.map((c) => c.name)).toContain('throttleEvents @ Mid');
    const bad = parseRules(
      { rules: [{ metric: 'pullS.p50', point: 'High', tolerance: { relative: 0.1 } }] },
      'r.json',
    );
    expect(inputError(() => decideGate({ baseline: a, candidate: a, rules: bad })).field).toBe(
      'r.json: rules[0].point',
    );
  });

  it('fails a model change that moves the published fit: the preset sweep, same seed, unpack 15% slower', () => {
    const run = (sets: string[]): GateRun => {
      const raw = memoryWriter();
      const params = resolve(copySweepSchema, preset(), sets);
      return {
        envelope: simulate(copySweepModel, params, 1, raw),
        raw: raw.records,
        dir: 'x',
        label: sets.join(' '),
      };
    };
    const fitted = run([]);
    const unpack = (loadPreset('acr-copies-2026', 'copy-sweep').params as { client: { unpackBps: number } })
      .client.unpackBps;
    const changed = run([`client.unpackBps=${unpack * 0.85}`]);
    const r = decideGate({
      baseline: fitted,
      candidate: changed,
      rules: defaultRules('sim', 'copy-sweep'),
      allowedDiffs: checkComparable(fitted.envelope, changed.envelope, ['client.unpackBps']),
    });
    expect(r.verdict).toBe('fail');
    // Unpack time is most of a pod's startup: the median of every configuration moves past 5%.
    const failed = r.checks.filter((c) => c.verdict === 'fail').map((c) => c.name);
    expect(failed).toEqual(expect.arrayContaining(['podStartupS.p50 @ Baseline', 'podStartupS.p50 @ Mid']));
    expect(r.notes).toEqual([]);
  });

  it('fails an incomplete candidate', () => {
    const c = coldPull(12, 1);
    const r = gate(base, { ...c, envelope: { ...c.envelope, incomplete: { reason: 'interrupted' } } });
    expect(r.checks[0]).toMatchObject({ name: 'candidate run complete', verdict: 'fail' });
  });
});

describe('comparability', () => {
  const env = (over: Partial<Envelope>, params: Record<string, unknown> = {}): Envelope => ({
    tool: 'stampede',
    kind: 'sim',
    name: 'cold-pull',
    seed: 1,
    params: { storage: { copies: 12, backends: 256 }, run: { sampleS: 1 }, ...params },
    metrics: {},
    points: [],
    runtime: { wallMs: 0, events: 0 },
    ...over,
  });

  it('refuses another kind or model, naming it', () => {
    expect(inputError(() => checkComparable(env({}), env({ kind: 'k6' }))).code).toBe('NOT_COMPARABLE');
    expect(inputError(() => checkComparable(env({}), env({ name: 'copy-sweep' }))).message).toMatch(
      /^candidate model: expected the baseline's "cold-pull", received "copy-sweep"/,
    );
  });

  it('refuses other parameters, naming every difference; ignores seed and run.sampleS', () => {
    expect(checkComparable(env({}), env({ seed: 9 }, { run: { sampleS: 5 } }))).toEqual([]);
    const e = inputError(() =>
      checkComparable(env({}), env({}, { storage: { copies: 2, backends: 64 } })),
    ) as NotComparableError;
    expect(e).toBeInstanceOf(NotComparableError);
    expect(e.field).toBe('candidate params.storage.backends');
    expect(e.message).toMatch(/all 2 differences: storage.backends 256 -> 64, storage.copies 12 -> 2/);
    expect(checkComparable(env({}), env({}, { storage: { copies: 2, backends: 256 } }), ['storage'])).toEqual(
      [{ path: 'storage.copies', baseline: 12, candidate: 2 }],
    );
  });

  it("ignores a k6 lab run's own target details but not its kind", () => {
    const k6 = (target: Record<string, unknown>) =>
      env({ kind: 'k6' }, { vus: 10, maxDurationS: 300, target, storage: undefined, run: undefined });
    const lab = { kind: 'lab', lab: 'a', base: 'http://127.5.0.1', seeded: { manifestDigest: 'sha256:1' } };
    expect(
      checkComparable(
        k6(lab),
        k6({ ...lab, lab: 'b', base: 'http://127.6.0.1', seeded: { manifestDigest: 'sha256:2' } }),
      ),
    ).toEqual([]);
    expect(
      inputError(() => checkComparable(k6(lab), k6({ kind: 'url', base: 'https://x.azurecr.io' }))).field,
    ).toBe('candidate params.target.kind');
    const url = (base: string) => k6({ kind: 'url', base, credentials: 'refresh token' });
    expect(
      inputError(() => checkComparable(url('https://x.azurecr.io'), url('https://y.azurecr.io'))).field,
    ).toBe('candidate params.target.base');
  });
});

describe('samples from raw.ndjson', () => {
  it("reads k6's pull_duration Trend in seconds", () => {
    const text = readFileSync(new URL('../fixtures/k6/cold-pull-recorded.ndjson', import.meta.url), 'utf8');
    const { records } = parseNdjson(text);
    const pulls = samplesOf(records, 'pullS', 'cold-pull', true);
    const ms = records.filter((r) => r.metric === 'pull_duration' && r.type === 'Point');
    expect(pulls.length).toBe(ms.length);
    expect(pulls[0]).toBeCloseTo((ms[0] as { data: { value: number } }).data.value / 1000, 12);
    expect(samplesOf(records, 'podStartupS', 'cold-pull', true)).toEqual([]);
  });

  it("reads a simulator point's own records only", () => {
    const raw = [
      { point: 'Low', podStartupS: 1, egressBps: 10 },
      { point: 'Mid', podStartupS: 2 },
      { point: 'Mid', podStartupS: 3 },
    ];
    expect(samplesOf(raw, 'podStartupS', 'Mid', false)).toEqual([2, 3]);
    expect(samplesOf(raw, 'nodeEgressBps', 'Low', false)).toEqual([10]);
  });
});
