import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMetricPath, readMetric } from '../../lib/results/gate/metrics';
import { DEFAULT_BOOTSTRAP, defaultRules, parseRules, readRulesFile } from '../../lib/results/gate/rules';
import { inputError } from '../helpers/input-error';

const rule = (r: Record<string, unknown>) => parseRules({ rules: [r] }, 'rules.json');

describe('metric paths', () => {
  it('knows quantiles, counts and ratios, each with the direction that is better', () => {
    expect(parseMetricPath('pullS.p99', 'm')).toMatchObject({
      kind: 'quantile',
      key: 'pullS',
      q: 0.99,
      direction: 'lower',
    });
    expect(parseMetricPath('nodeEgressBps.p999', 'm')).toMatchObject({
      kind: 'quantile',
      q: 0.999,
      direction: 'higher',
    });
    expect(parseMetricPath('errors.total', 'm')).toMatchObject({ kind: 'count', direction: 'lower' });
    expect(parseMetricPath('errors.byCode.MANIFEST_UNKNOWN', 'm')).toMatchObject({ kind: 'count' });
    expect(parseMetricPath('hotBackendRatio', 'm')).toMatchObject({ kind: 'ratio' });
  });

  it('refuses an unknown path, a bare distribution and max, naming the field', () => {
    expect(inputError(() => parseMetricPath('pullS.p98', 'rules[0].metric')).message).toMatch(
      /^rules\[0\]\.metric: expected pullS\.<p50\|p90\|p99>, received "pullS\.p98"/,
    );
    expect(inputError(() => parseMetricPath('pullS', 'f')).field).toBe('f');
    expect(inputError(() => parseMetricPath('pullS.max', 'f')).message).toMatch(/cannot be bootstrapped/);
    expect(inputError(() => parseMetricPath('latency.p99', 'f')).message).toMatch(/one of podStartupS\.p50/);
  });

  it('reads values; a missing error code of a run with errors is 0', () => {
    const m = { errors: { total: 3, byCode: { X: 3 } }, throttleEvents: 2 };
    expect(readMetric(m, 'errors.total')).toBe(3);
    expect(readMetric(m, 'errors.byCode.Y')).toBe(0);
    expect(readMetric(m, 'throttleEvents')).toBe(2);
    expect(readMetric(m, 'hotBackendRatio')).toBeUndefined();
  });
});

describe('rules files', () => {
  it('parses a rule with its point, direction and tolerance, defaulting the bootstrap', () => {
    const set = rule({
      metric: 'podStartupS.p90',
      point: 'Mid',
      direction: 'lower',
      tolerance: { relative: 0.05 },
    });
    expect(set.rules[0]).toMatchObject({
      point: 'Mid',
      direction: 'lower',
      tolerance: { relative: 0.05 },
      builtIn: false,
    });
    expect(set.bootstrap).toEqual(DEFAULT_BOOTSTRAP);
    expect(rule({ metric: 'nodeEgressBps.p50', tolerance: { absolute: 1e6 } }).rules[0]?.direction).toBe(
      'higher',
    );
  });

  it.each([
    [{ metric: 'nope.p50', tolerance: { relative: 0.1 } }, 'rules.json: rules[0].metric'],
    [
      { metric: 'pullS.p50', direction: 'down', tolerance: { relative: 0.1 } },
      'rules.json: rules[0].direction',
    ],
    [{ metric: 'pullS.p50', tolerance: { relative: -0.1 } }, 'rules.json: rules[0].tolerance.relative'],
    [{ metric: 'pullS.p50', tolerance: { absolute: '5' } }, 'rules.json: rules[0].tolerance.absolute'],
    [{ metric: 'pullS.p50', tolerance: {} }, 'rules.json: rules[0].tolerance'],
    [{ metric: 'pullS.p50', tolerance: 0.1 }, 'rules.json: rules[0].tolerance'],
    [{ metric: 'pullS.p50', tolerance: { relative: 0.1, pct: 3 } }, 'rules.json: rules[0].tolerance.pct'],
    [{ metric: 'pullS.p50', tolerance: { relative: 0.1 }, point: '' }, 'rules.json: rules[0].point'],
    [{ metric: 'pullS.p50', tolerance: { relative: 0.1 }, threshold: 3 }, 'rules.json: rules[0].threshold'],
  ])('refuses %j naming %s', (r, field) => {
    expect(inputError(() => rule(r)).field).toBe(field);
  });

  it('refuses a document without rules, with stray keys, or a bad bootstrap', () => {
    expect(inputError(() => parseRules({ rules: [] }, 'r.json')).field).toBe('r.json: rules');
    expect(inputError(() => parseRules([], 'r.json')).field).toBe('r.json');
    expect(inputError(() => parseRules({ rules: [{}], extra: 1 }, 'r.json')).field).toBe('r.json.extra');
    const ok = { metric: 'pullS.p50', tolerance: { relative: 0.1 } };
    expect(inputError(() => parseRules({ rules: [ok], bootstrap: { resamples: 10 } }, 'r.json')).field).toBe(
      'resamples (in r.json: bootstrap)',
    );
    expect(inputError(() => parseRules({ rules: [ok], bootstrap: { confidence: 1 } }, 'r.json')).field).toBe(
      'confidence (in r.json: bootstrap)',
    );
  });

  it('reads a file; unreadable or non-JSON files are --rules errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stampede-rules-'));
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        rules: [{ metric: 'errors.total', tolerance: { absolute: 0 } }],
        bootstrap: { seed: 9 },
      }),
    );
    expect(readRulesFile(good).bootstrap.seed).toBe(9);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"rules": [');
    expect(inputError(() => readRulesFile(bad)).field).toBe('--rules');
    expect(inputError(() => readRulesFile(join(dir, 'missing.json'))).message).toMatch(/ENOENT/);
  });
});

describe('built-in defaults', () => {
  it('has rules for sim models and k6 scenarios, falling back by kind', () => {
    expect(defaultRules('sim', 'copy-sweep').rules.map((r) => r.metric.path)).toContain('podStartupS.p99');
    expect(defaultRules('k6', 'cold-pull').rules.map((r) => r.metric.path)).toContain('pullS.p99');
    expect(defaultRules('k6', 'some-future-scenario').source).toBe('built-in defaults for k6');
    expect(defaultRules('sim', 'cold-pull').rules.every((r) => r.builtIn)).toBe(true);
  });
});
