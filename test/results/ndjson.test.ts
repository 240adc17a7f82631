import { appendFileSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ndjsonWriter, readNdjson } from '../../lib/results/ndjson';
import { createRunDir, ensureRunDir } from '../../lib/results/run-dir';
import { cdf, egressQuantiles, quantiles } from '../../lib/results/stats';
import { inputError } from '../helpers/input-error';

describe('raw results on disk', () => {
  it('streams records that can be read back, and survives a torn last line', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stampede-')), 'raw.ndjson');
    const w = ndjsonWriter(path);
    w.write({ node: 0, podStartupS: 1.5 });
    w.writeMany([{ node: 1 }, { node: 2 }]);
    // No close(): a killed process never closes; the lines must already be on disk.
    appendFileSync(path, '{"node": 3, "podSt');
    expect(readNdjson<{ node: number }>(path).map((r) => r.node)).toEqual([0, 1, 2]);
    w.close();
  });
});

describe('creating run directories', () => {
  it('claims a directory of its own for each run of the same second, never reusing one', () => {
    const cwd = process.cwd();
    process.chdir(mkdtempSync(join(tmpdir(), 'stampede-')));
    try {
      const at = new Date('2026-11-23T12:00:00.500Z');
      const dirs = [1, 2, 3].map(() => createRunDir('cold-pull', at));
      expect(dirs[0]).toMatch(/runs\/cold-pull-20261123T120000$/);
      expect(dirs.slice(1)).toEqual([`${dirs[0]}-2`, `${dirs[0]}-3`]);
      for (const d of dirs) expect(statSync(d).isDirectory()).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('makes missing parents and names the flag when a path cannot be made', () => {
    const root = mkdtempSync(join(tmpdir(), 'stampede-'));
    expect(ensureRunDir(join(root, 'a', 'b'), '--out')).toBe(join(root, 'a', 'b'));
    expect(statSync(join(root, 'a', 'b')).isDirectory()).toBe(true);
    writeFileSync(join(root, 'f'), 'x');
    expect(inputError(() => ensureRunDir(join(root, 'f', 'sub'), '--out')).field).toBe('--out');
    // mkdir under /proc answers ENOENT; node's recursive mkdir would spin on it forever.
    if (existsSync('/proc/self'))
      expect(inputError(() => ensureRunDir('/proc/stampede-nope/x', '--out')).message).toMatch(
        /^--out: expected a directory that can be created, received "\/proc\/stampede-nope\/x \(ENOENT\)"$/,
      );
  });
});

describe('summary statistics', () => {
  it('computes quantiles of a known sample', () => {
    const v = Array.from({ length: 101 }, (_, i) => i);
    expect(quantiles(v)).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 });
    expect(egressQuantiles(v).p75).toBe(75);
    expect(quantiles([])).toEqual({ p50: 0, p90: 0, p99: 0, max: 0 });
  });

  it('thins a CDF but keeps its end points', () => {
    const c = cdf(
      Array.from({ length: 10_000 }, (_, i) => 10_000 - i),
      100,
    );
    expect(c.length).toBeLessThanOrEqual(102);
    expect(c[0]).toEqual({ value: 1, fraction: 1 / 10_000 });
    expect(c.at(-1)).toEqual({ value: 10_000, fraction: 1 });
  });
});
