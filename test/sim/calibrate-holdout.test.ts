/**
 * The calibration's honesty flags in-process: several seeds average the objective (one seed
 * is exactly the old objective), held-out rows stay out of the fit, and cross-validation
 * fits once per row from the same start.
 */
import { describe, expect, it } from 'vitest';
import { defaults } from '../../lib/config/schema';
import { cvCharts, cvHeldOutErrorSpec } from '../../reports/charts/cv-heldout-error';
import { calibrate, evaluate, evaluateSeeds, findings } from '../../sim/experiments/calibrate';
import { crossValidate, cvEnvelope, cvTable } from '../../sim/experiments/cv';
import type { TargetTable } from '../../sim/experiments/target-table';
import { copySweepSchema } from '../../sim/models/copy-sweep/params';
import { runCopySweep } from '../../sim/models/copy-sweep/sweep';

/** Two configurations of a small storm: fast enough to fit a few times. */
function small() {
  const p = defaults(copySweepSchema);
  p.workload.nodes = 30;
  p.workload.layerSizesMiB = [50, 400, 120, 30];
  p.storage.backends = 16;
  p.sweep.copies = [2, 6];
  p.sweep.labels = ['A', 'B'];
  return p;
}

const table = (b = { p50: 45, p90: 50, p99: 55 }): TargetTable => ({
  source: 'test',
  file: 'test.json',
  points: [
    { label: 'A', podStartupS: { p50: 40, p90: 45, p99: 50 } },
    { label: 'B', podStartupS: b },
  ],
});

describe('calibrate --seeds', () => {
  it('one seed is exactly the single-seed objective; two seeds average the per-seed scores', () => {
    const p = small();
    const r1 = runCopySweep(p, 1);
    const r2 = runCopySweep(p, 2);
    expect(evaluateSeeds([r1], table())).toEqual(evaluate(r1, table()));
    const both = evaluateSeeds([r1, r2], table());
    expect(both.score).toBeCloseTo((evaluate(r1, table()).score + evaluate(r2, table()).score) / 2, 12);
    const mean =
      (r1[0]?.run.metrics.podStartupS?.p50 ?? 0) / 2 + (r2[0]?.run.metrics.podStartupS?.p50 ?? 0) / 2;
    expect(both.residuals[0]?.simulatedS).toBeCloseTo(mean, 9);
    // A default fit and one with seeds [seed] are the same fit.
    const a = calibrate(p, table(), { seed: 3, maxEvaluations: 4 });
    const b = calibrate(p, table(), { seed: 3, seeds: [3], maxEvaluations: 4 });
    expect(b.fitted).toEqual(a.fitted);
    expect(b.evaluation.score).toBe(a.evaluation.score);
  });
});

describe('calibrate --holdout', () => {
  it("a held-out row's figures do not move the fit, and its errors are reported apart", () => {
    const p = small();
    const fitWith = (b: { p50: number; p90: number; p99: number }) =>
      calibrate(p, table(b), { seed: 1, seeds: [1, 2], holdout: ['B'], maxEvaluations: 5 });
    const x = fitWith({ p50: 45, p90: 50, p99: 55 });
    const y = fitWith({ p50: 400, p90: 500, p99: 900 });
    expect(y.fitted).toEqual(x.fitted);
    expect(y.evaluation.score).toBe(x.evaluation.score);
    expect(x.evaluation.residuals.map((r) => r.label)).toEqual(['A', 'A', 'A']);
    expect(x.heldOut.map((r) => `${r.label} ${r.figure}`)).toEqual(['B p50', 'B p90', 'B p99']);
    // Same simulation, different target: the held-out error follows the target.
    expect(y.heldOut[2]?.simulatedS).toBe(x.heldOut[2]?.simulatedS);
    expect(y.heldOut[2]?.relativeError).toBeCloseTo(((x.heldOut[2]?.simulatedS ?? 0) - 900) / 900, 12);
  });

  it('refuses an unknown label and holding out every row, naming --holdout', () => {
    const p = small();
    expect(() => calibrate(p, table(), { seed: 1, holdout: ['C'], maxEvaluations: 2 })).toThrow(
      /--holdout.*"C"/,
    );
    expect(() => calibrate(p, table(), { seed: 1, holdout: ['A', 'B'], maxEvaluations: 2 })).toThrow(
      /--holdout.*at least one row/,
    );
  });
});

describe('calibrate --cv', () => {
  it('fits once per row from the same start and tabulates each held-out row', () => {
    const p = small();
    let t = 0;
    const r = crossValidate(p, table(), { seed: 1, seeds: [1], maxEvaluations: 3, now: () => (t += 1000) });
    expect(r.folds.map((f) => f.label)).toEqual(['A', 'B']);
    // Fold B is exactly a --holdout B fit.
    const alone = calibrate(p, table(), { seed: 1, seeds: [1], holdout: ['B'], maxEvaluations: 3 });
    expect(r.folds[1]?.heldOut).toEqual(alone.heldOut);
    expect(r.folds[1]?.fitted).toEqual(alone.fitted);
    const lines = cvTable(r);
    expect(lines[1]).toMatch(/^A\s+[+-]\d+\.\d%/);
    expect(lines.at(-1)).toMatch(/held-out figures within \+-10%: \d\/6/);
    const env = cvEnvelope(r, table(), { seed: 1, wallMs: 5, start: 'none', params: {} });
    expect(env.name).toBe('calibrate-cv');
    expect(env.points.map((pt) => pt.label)).toEqual(['A', 'B']);
    expect(env.metrics.heldOutFigures).toBe(6);
    expect(env.points[0]?.metrics.foldWallS).toBe(1);
  });

  it('refuses a table of one row, naming --cv', () => {
    const p = small();
    p.sweep.copies = [2];
    p.sweep.labels = ['A'];
    const one: TargetTable = { ...table(), points: table().points.slice(0, 1) };
    expect(() => crossValidate(p, one, { seed: 1, seeds: [1], maxEvaluations: 2 })).toThrow(/--cv/);
  });
});

describe('findings', () => {
  it('reads the four qualitative findings from a five-point sweep and nothing from fewer', () => {
    const m = (thr: number, above: number, peak: number, eg: number) => ({
      throttleEvents: thr,
      backendsAboveCeiling: above,
      backends: [{ id: 'b', bytes: 0, peakEgressBps: peak, ceilingBps: 1 }],
      nodeEgressBps: { p50: eg, p75: eg, p90: eg, p99: eg, p999: eg },
    });
    const good = [m(5, 3, 10, 1), m(2, 1, 8, 2), m(0, 0, 5, 3), m(0, 0, 4, 3), m(0, 0, 3, 3)];
    expect(Object.values(findings(good))).toEqual([true, true, true, true]);
    const bad = [m(5, 3, 10, 1), m(0, 2, 8, 2), m(1, 0, 5, 2), m(0, 0, 4, 3), m(0, 0, 30, 3)];
    expect(Object.values(findings(bad))).toEqual([false, false, false, false]);
    expect(findings(good.slice(0, 4))).toEqual({});
  });
});

describe('the held-out error chart', () => {
  it('draws each held-out figure against the +-10% band and only for a calibrate-cv run', () => {
    const r = {
      folds: [
        {
          label: 'A',
          heldOut: (['p50', 'p90', 'p99'] as const).map((figure, i) => ({
            label: 'A',
            figure,
            targetS: 100,
            simulatedS: 100 + 6 * i,
            relativeError: 0.06 * i,
          })),
          findings: {},
          fitScore: 0,
          fitRms: 0,
          fitMax: 0,
          ladder: [2],
          fitted: {},
          evaluations: 1,
          wallMs: 1,
        },
      ],
      seeds: [1],
      maxEvaluations: 1,
    };
    const env = cvEnvelope(r, table(), { seed: 1, wallMs: 1, start: 'none', params: {} });
    const spec = cvHeldOutErrorSpec(env) as {
      layer: Array<{ data: { values: Array<Record<string, unknown>> } }>;
    };
    expect(spec.layer[0]?.data.values).toEqual([{ lo: -10, hi: 10 }]);
    expect(spec.layer[2]?.data.values.map((v) => [v.figure, v.status])).toEqual([
      ['P50', 'within band'],
      ['P90', 'within band'],
      ['P99', 'outside band'],
    ]);
    expect(cvCharts(env).map((c) => c.id)).toEqual(['cv-heldout-error']);
    expect(cvCharts({ ...env, name: 'copy-sweep' })).toEqual([]);
  });
});
