/**
 * k6's own outputs beside stampede's: `--k6-out json=FILE|csv=FILE|experimental-prometheus-rw`
 * passed through to k6's --out, and `--k6-dashboard`, k6's web-dashboard HTML export saved
 * into the run dir. Only kinds that carry no secret on the command line are accepted: the
 * Prometheus remote-write endpoint and its credentials travel in K6_PROMETHEUS_RW_*
 * variables, which the run passes on to k6's environment (never its arguments) only when
 * that output is asked for. With several shards each k6 process writes its own file
 * (out.json -> out-0.json, out-1.json, ...): k6 cannot share one.
 */
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors';
import { checkOutFile } from '../results/run-dir';

export type K6Out = { kind: 'json' | 'csv'; file: string } | { kind: 'experimental-prometheus-rw' };

const EXPECTED =
  'json=FILE, csv=FILE or experimental-prometheus-rw (its URL and credentials in K6_PROMETHEUS_RW_*)';

/** Validates every --k6-out value (paths resolved against the caller's directory). */
export function parseK6Outs(values: readonly string[]): K6Out[] {
  return values.map((raw) => {
    const eq = raw.indexOf('=');
    const kind = (eq < 0 ? raw : raw.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : raw.slice(eq + 1);
    if (kind === 'json' || kind === 'csv') {
      if (value === undefined || value.trim() === '')
        throw new InputError('--k6-out', `${kind}=FILE with a file path`, raw);
      return { kind, file: checkOutFile('--k6-out', value) };
    }
    if (kind === 'experimental-prometheus-rw') {
      // k6 takes the endpoint as an argument too, but a URL may carry credentials: env only.
      if (value !== undefined)
        throw new InputError(
          '--k6-out',
          'experimental-prometheus-rw with no value (set K6_PROMETHEUS_RW_SERVER_URL instead)',
          raw,
        );
      return { kind };
    }
    throw new InputError('--k6-out', EXPECTED, raw);
  });
}

/** The --k6-out value as the re-executed run gets it back (paths already absolute). */
export function k6OutFlag(o: K6Out): string {
  return o.kind === 'experimental-prometheus-rw' ? o.kind : `${o.kind}=${o.file}`;
}

/** out.json -> out-2.json, out.json.gz -> out-2.json.gz, out -> out-2 (shard 2 of several). */
export function shardFile(file: string, index: number, shards: number): string {
  if (shards === 1) return file;
  const name = basename(file);
  const m = /^(.+?)((?:\.[A-Za-z0-9]+)*)$/.exec(name);
  const stem = m?.[1] ?? name;
  const ext = m?.[2] ?? '';
  return join(dirname(file), `${stem}-${index}${ext}`);
}

/** k6 arguments of shard `index` for the outputs asked for. */
export function k6OutArgs(outs: readonly K6Out[], index: number, shards: number): string[] {
  return outs.flatMap((o) => [
    '--out',
    o.kind === 'experimental-prometheus-rw' ? o.kind : `${o.kind}=${shardFile(o.file, index, shards)}`,
  ]);
}

/**
 * The caller's K6_PROMETHEUS_RW_* variables, when that output is asked for: the run hands
 * k6 none of the caller's K6_* otherwise (lib/k6/run.ts inheritedEnv).
 */
export function k6OutEnv(
  outs: readonly K6Out[],
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  if (!outs.some((o) => o.kind === 'experimental-prometheus-rw')) return {};
  return Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] => /^K6_PROMETHEUS_RW_/.test(e[0]) && e[1] !== undefined,
    ),
  );
}

/** The web dashboard's aggregation period (ms): k6 exports its HTML only after two of them. */
export const DASHBOARD_PERIOD_MS = 200;

/** k6-dashboard.html, or k6-dashboard-<i>.html for one of several shards. */
export const dashboardName = (index: number, shards: number) =>
  shards === 1 ? 'k6-dashboard.html' : `k6-dashboard-${index}.html`;

/**
 * k6's web dashboard for one process: served on loopback only, on a port free now (two
 * shards, or two runs, never fight over k6's default 5665), exported to `exportPath` when
 * k6 ends. The dashboard aggregates every PERIOD and exports only with at least two
 * snapshots (xk6-dashboard's reporter.onStop), so a run shorter than two periods gets none:
 * DASHBOARD_PERIOD (k6's default 10 s; 1 s here until the CI of 2026-12-06 00:06, where an
 * 80-pull run was over in 2.0 s with one snapshot). Long runs stay bounded: the dashboard
 * widens the period to a multiple of this one so the plan's end holds ~2,880 points.
 */
export async function dashboardEnv(exportPath: string): Promise<Record<string, string>> {
  return {
    K6_WEB_DASHBOARD: 'true',
    K6_WEB_DASHBOARD_HOST: '127.0.0.1',
    K6_WEB_DASHBOARD_PORT: String(await freeLoopbackPort()),
    K6_WEB_DASHBOARD_PERIOD: `${DASHBOARD_PERIOD_MS}ms`,
    K6_WEB_DASHBOARD_OPEN: 'false',
    K6_WEB_DASHBOARD_EXPORT: exportPath,
  };
}

/** A TCP port on 127.0.0.1 nobody listens on now (the kernel picks it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no free loopback port'))));
    });
  });
}
