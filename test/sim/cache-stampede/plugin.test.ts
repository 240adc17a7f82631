/**
 * The cache-stampede plug-in through its contract (schema via resolve(), validate, run with
 * a recording ModelIo, table, charts): one point per strategy with the metric names the
 * lab half shares, raw records per pull and per time bin, the what-if preset, and bad
 * input naming its field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import { InputError } from '../../../lib/errors';
import type { Envelope } from '../../../lib/results/envelope';
import { timelineSpec } from '../../../reports/charts/cache-stampede-timeline';
import { upstreamRows, upstreamSpec } from '../../../reports/charts/cache-stampede-upstream';
import type { ModelIo } from '../../../sim/experiments/model';
import { PRESET_DIR } from '../../../sim/experiments/presets';
import { findModel, modelCharts } from '../../../sim/experiments/registry';
import { type CacheStampedeParams, cacheStampedeSchema } from '../../../sim/models/cache-stampede/params';
import { cacheStampedeModel } from '../../../sim/models/cache-stampede/plugin';

class RecordingIo implements ModelIo {
  records: Record<string, unknown>[] = [];
  raw(records: readonly unknown[]): void {
    this.records.push(...(records as Record<string, unknown>[]));
  }
  progress(): void {}
}

function params(sets: string[], layers: Array<{ source: string; tree: unknown }> = []): CacheStampedeParams {
  return resolve(cacheStampedeSchema, layers, sets);
}

function run(sets: string[] = [], seed = 1) {
  const p = params(['nodes=200', ...sets]);
  cacheStampedeModel.validate?.(p, { layers: [], sets });
  const io = new RecordingIo();
  const result = cacheStampedeModel.run(p, seed, io);
  const envelope: Envelope = {
    tool: 'stampede',
    kind: 'sim',
    name: 'cache-stampede',
    seed,
    params: p as unknown as Record<string, unknown>,
    metrics: result.metrics,
    points: result.points,
    runtime: { wallMs: 0, events: result.events },
  };
  const point = (s: string) => result.points.find((x) => x.label === s)?.metrics as Record<string, unknown>;
  return { io, result, envelope, point };
}

function inputError(sets: string[]): InputError {
  try {
    const p = params(sets);
    cacheStampedeModel.validate?.(p, { layers: [], sets });
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error(`no error for ${sets.join(' ')}`);
}

describe('sim cache-stampede plug-in', () => {
  it('is registered and writes one point per strategy with the shared metric names', () => {
    expect(findModel('cache-stampede')).toBe(cacheStampedeModel);
    const { result, envelope, io, point } = run();
    expect(result.points.map((x) => x.label)).toEqual([
      'off',
      'per-front',
      'off+breaker',
      'per-front+breaker',
      'prewarm',
    ]);
    for (const pt of result.points) {
      const m = pt.metrics as Record<string, unknown>;
      for (const k of ['pullS', 'pulls', 'errors', 'upstream', 'hydratedAtS', 'throttleEvents'])
        expect(m, `${pt.label} ${k}`).toHaveProperty(k);
      const up = m.upstream as Record<string, unknown>;
      expect(Object.keys(up.requests as object).sort()).toEqual(['blob', 'head', 'manifest', 'total']);
      expect(typeof up.bytes).toBe('number');
      expect(typeof up.throttled).toBe('number');
    }
    // The first point is also the run's top-level metrics.
    expect(result.metrics.strategy).toBe('off');
    expect(result.metrics.upstream).toEqual(point('off').upstream);
    const off = point('off').upstream as { requests: { manifest: number }; throttled: number };
    const pf = point('per-front').upstream as { requests: { manifest: number }; throttled: number };
    expect(off.requests.manifest).toBeGreaterThanOrEqual(200);
    expect(off.throttled).toBeGreaterThan(0);
    expect(pf.requests.manifest).toBe(1);
    expect(pf.throttled).toBe(0);
    expect(io.records.filter((r) => r.kind === 'pull')).toHaveLength(200 * 5);
    expect(io.records.some((r) => r.kind === 'upstream-bin')).toBe(true);
    const table = cacheStampedeModel.table(envelope).join('\n');
    expect(table).toMatch(/^per-front\s+\S+ \/ \S+ \/ \S+\s+200 \/ 0\s+6 \(1\+5\)/m);
    expect(table).toMatch(/200 nodes, image 0\.50 GiB in 5 layers by tag/);
  });

  it('as-set runs the configuration unchanged; failed pulls are listed by code', () => {
    const { result, envelope } = run([
      'strategies=as-set',
      'cache.coalescing=global',
      'upstream.fault=down',
      'client.maxAttempts=2',
    ]);
    expect(result.points).toHaveLength(1);
    expect(result.points[0]?.params).toEqual({
      'cache.coalescing': 'global',
      'breaker.enabled': false,
      'prewarm.enabled': false,
    });
    expect(result.metrics.pulls).toEqual({ ok: 0, failed: 200, failedByCode: { UPSTREAM_UNAVAILABLE: 200 } });
    expect(result.metrics.hydratedAtS).toBeNull();
    expect(result.metrics.pullS).toBeUndefined();
    expect(cacheStampedeModel.table(envelope).join('\n')).toContain(
      'failed pulls by code {"UPSTREAM_UNAVAILABLE":200}',
    );
  });

  it('charts build and compile; they come with the model on its report page', () => {
    const { envelope, io } = run();
    const r = { envelope, raw: io.records, label: 'sim' };
    expect(modelCharts(envelope).map((c) => c.id)).toEqual([
      'cache-stampede-upstream',
      'cache-stampede-timeline',
    ]);
    expect(upstreamRows(r)).toHaveLength(5 * 4);
    for (const spec of [upstreamSpec(r), timelineSpec(r)]) {
      expect(spec).not.toBeNull();
      expect(compile(spec as never).spec).toBeTruthy();
    }
    expect(upstreamSpec({ ...r, envelope: { ...envelope, points: [] } })).toBeNull();
    expect(timelineSpec({ ...r, raw: [] })).toBeNull();
  });

  it('the docker-hub-5000 preset is the what-if: 5,000 nodes, 10 GiB, 100 manifest GETs per hour per account', () => {
    const file = JSON.parse(
      readFileSync(join(PRESET_DIR, 'cache-stampede', 'docker-hub-5000.json'), 'utf8'),
    ) as { params: unknown };
    const p = params([], [{ source: 'preset docker-hub-5000', tree: file.params }]);
    expect(p.nodes).toBe(5000);
    expect(p.image.layers.reduce((a, b) => a + b, 0)).toBe(10 * 2 ** 30);
    expect(p.upstream.rateLimit).toMatchObject({ scope: 'global', burst: 100, counts: 'manifest-get' });
    expect(p.upstream.rateLimit.perMin * 60).toBeCloseTo(100, 9);
  });

  it('bad input names the field', () => {
    expect(inputError(['upstream.rateLimit.perMin=0']).message).toContain('upstream.rateLimit.perMin');
    expect(inputError(['image.layers=5,-1']).message).toContain('image.layers[1]');
    expect(inputError(['cache.coalescing=maybe']).message).toContain('cache.coalescing');
    expect(inputError(['strategies=off,nope']).message).toContain('strategies[1]');
    expect(inputError(['client.retryBaseS=60', 'client.retryCapS=30']).message).toContain('client.retryCapS');
    expect(inputError(['upstream.faultStartS=10', 'upstream.faultEndS=5']).message).toContain(
      'upstream.faultEndS',
    );
  });
});
