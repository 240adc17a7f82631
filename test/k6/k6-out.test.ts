/** --k6-out parsing, per-shard file names and the environment a Prometheus output gets. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors';
import {
  dashboardEnv,
  dashboardName,
  k6OutArgs,
  k6OutEnv,
  k6OutFlag,
  parseK6Outs,
  shardFile,
} from '../../lib/k6/k6-out';

const dir = mkdtempSync(join(tmpdir(), 'stampede-k6out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}

describe('parseK6Outs', () => {
  it('accepts json=FILE, csv=FILE (made absolute) and a bare experimental-prometheus-rw', () => {
    const outs = parseK6Outs([`json=${dir}/a.json`, `csv=${dir}/b.csv.gz`, 'experimental-prometheus-rw']);
    expect(outs).toEqual([
      { kind: 'json', file: join(dir, 'a.json') },
      { kind: 'csv', file: join(dir, 'b.csv.gz') },
      { kind: 'experimental-prometheus-rw' },
    ]);
    expect(outs.map(k6OutFlag)).toEqual([
      `json=${dir}/a.json`,
      `csv=${dir}/b.csv.gz`,
      'experimental-prometheus-rw',
    ]);
  });
  it.each([
    ['influxdb=http://x', 'json=FILE, csv=FILE or experimental-prometheus-rw'],
    ['json', 'json=FILE with a file path'],
    ['json=', 'json=FILE with a file path'],
    ['csv=  ', 'csv=FILE with a file path'],
    ['json=/proc/nope/x.json', 'a file in an existing directory'],
    ['experimental-prometheus-rw=http://user:secret@x/api/v1/write', 'with no value'],
    ['', 'json=FILE, csv=FILE or experimental-prometheus-rw'],
  ])('%j exits 2 naming --k6-out', (raw, expected) => {
    const e = inputError(() => parseK6Outs([raw]));
    expect(e.field).toBe('--k6-out');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(expected);
  });
});

describe('per-shard files and arguments', () => {
  it('keeps the name for one process and numbers it before the extensions for several', () => {
    expect(shardFile('/r/out.json', 0, 1)).toBe('/r/out.json');
    expect(shardFile('/r/out.json', 2, 4)).toBe('/r/out-2.json');
    expect(shardFile('/r/out.json.gz', 1, 2)).toBe('/r/out-1.json.gz');
    expect(shardFile('/r/out', 3, 4)).toBe('/r/out-3');
    expect(dashboardName(0, 1)).toBe('k6-dashboard.html');
    expect(dashboardName(1, 4)).toBe('k6-dashboard-1.html');
  });
  it('gives each shard its own --out files', () => {
    const outs = parseK6Outs([`json=${dir}/o.json`, 'experimental-prometheus-rw']);
    expect(k6OutArgs(outs, 1, 2)).toEqual([
      '--out',
      `json=${dir}/o-1.json`,
      '--out',
      'experimental-prometheus-rw',
    ]);
  });
  it('passes K6_PROMETHEUS_RW_* on only when that output is asked for', () => {
    const env = {
      K6_PROMETHEUS_RW_SERVER_URL: 'http://127.0.0.1:9090/api/v1/write',
      K6_PROMETHEUS_RW_PASSWORD: 'pw',
      K6_SUMMARY_EXPORT: '/tmp/leak.json',
      STAMPEDE_PASSWORD: 'x',
    };
    expect(k6OutEnv(parseK6Outs([`json=${dir}/o.json`]), env)).toEqual({});
    expect(k6OutEnv(parseK6Outs(['experimental-prometheus-rw']), env)).toEqual({
      K6_PROMETHEUS_RW_SERVER_URL: 'http://127.0.0.1:9090/api/v1/write',
      K6_PROMETHEUS_RW_PASSWORD: 'pw',
    });
  });
  it('serves the dashboard on loopback on a port free now and exports into the given file', async () => {
    const env = await dashboardEnv(join(dir, 'k6-dashboard.html'));
    expect(env).toMatchObject({
      K6_WEB_DASHBOARD: 'true',
      K6_WEB_DASHBOARD_HOST: '127.0.0.1',
      K6_WEB_DASHBOARD_EXPORT: join(dir, 'k6-dashboard.html'),
      // two periods must pass before k6 exports: short enough for a run of a second or two
      K6_WEB_DASHBOARD_PERIOD: '200ms',
    });
    const port = Number(env.K6_WEB_DASHBOARD_PORT);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(5665);
  });
});

describe('--k6-memory-mib', () => {
  it("splits one budget into each k6 process's Go soft limit", async () => {
    const { goMemLimit } = await import('../../lib/k6/scale-out');
    expect(goMemLimit(1400, 1)).toBe('1400MiB');
    expect(goMemLimit(1400, 4)).toBe('350MiB');
    expect(goMemLimit(64, 64)).toBe('16MiB');
  });
});
