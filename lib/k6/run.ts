/**
 * Runs the pinned k6 binary on a bundled script. Raw points stream to
 * <runDir>/raw.ndjson while it runs (`--out json`), so an interrupted run still leaves
 * everything measured; k6's end-of-test summary goes to <runDir>/k6-summary.json.
 * Parameters and credentials travel in the child's environment (k6 copies it into
 * __ENV), never on the command line where `ps` would show them. Bounded by a timeout;
 * Ctrl-C is forwarded so k6 stops gracefully and still writes its outputs.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RunError } from '../errors';
import { RAW } from '../results/run-dir';
import { REPO_ROOT } from './bundle';

export const K6_BIN = process.env.STAMPEDE_K6_BIN ?? join(REPO_ROOT, '.tools/bin/k6');
export const K6_SUMMARY = 'k6-summary.json';

export interface K6RunOptions {
  script: string;
  runDir: string;
  /** Where raw points stream (default <runDir>/raw.ndjson): several k6 processes of one run each need their own. */
  rawPath?: string;
  /** Extra `k6 run` arguments before the script (e.g. --execution-segment for one of several processes). */
  args?: string[];
  /** The scenario's parameters and credentials (k6 reads them as __ENV): no STAMPEDE_* is inherited. */
  env?: Record<string, string>;
  /** Run through a wrapper, e.g. ['ip', 'netns', 'exec', 'stampede-lab']. */
  prefix?: string[];
  timeoutMs: number;
  k6Bin?: string;
  /** Points of this metric are counted for progress (default: pulls). */
  progressMetric?: string;
  onProgress?(count: number, elapsedMs: number): void;
  /** Each line k6 prints (its log and errors; k6 never prints __ENV). */
  onLine?(line: string): void;
  signal?: AbortSignal;
}

export interface K6RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  interrupted: boolean;
  wallMs: number;
  rawPath: string;
  summaryPath: string;
  /** Last lines k6 printed: the reason when it failed. */
  tail: string[];
}

/** Where k6 is, or a clear error naming the set-up command. */
export function k6Binary(bin = K6_BIN): string {
  if (!existsSync(bin))
    throw new RunError(
      'K6_MISSING',
      `k6 is not installed at ${bin}: run \`npm run setup\` (builds the pinned k6 v1.8.1 into .tools/bin)`,
    );
  return bin;
}

/** Counts Point lines of one metric in a growing NDJSON file, reading only what is new. */
function pointCounter(path: string, metric: string): () => number {
  const needle = `"metric":"${metric}"`;
  let offset = 0;
  let count = 0;
  let partial = '';
  const buf = Buffer.alloc(1 << 20);
  return () => {
    if (!existsSync(path)) return count;
    const size = statSync(path).size;
    if (size <= offset) return count;
    const fd = openSync(path, 'r');
    try {
      while (offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
        if (n <= 0) break;
        offset += n;
        const lines = (partial + buf.toString('utf8', 0, n)).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (l.includes(needle) && l.includes('"type":"Point"')) count++;
      }
    } finally {
      closeSync(fd);
    }
    return count;
  };
}

export async function runK6(o: K6RunOptions): Promise<K6RunResult> {
  const bin = k6Binary(o.k6Bin);
  const rawPath = o.rawPath ?? join(o.runDir, RAW);
  const summaryPath = join(o.runDir, K6_SUMMARY);
  const args = [
    ...(o.prefix ?? []),
    ...diesWithParent(),
    bin,
    'run',
    '--no-usage-report',
    '--no-color',
    '--quiet',
    // No REST API: it serves setup()'s return value (the registry refresh token) at
    // /v1/setup to anyone on the host's loopback, and two runs would fight over its port.
    '--address=',
    '--out',
    `json=${rawPath}`,
    ...(o.args ?? []),
    o.script,
  ];
  const start = Date.now();
  // Not --summary-export: that file carries setup()'s return value, and the cold-pull
  // scenario's setup() hands its VUs the registry refresh token. The scenario's
  // handleSummary writes k6's summary here without it.
  const env: NodeJS.ProcessEnv = {
    ...inheritedEnv(),
    K6_NO_USAGE_REPORT: 'true',
    STAMPEDE_K6_SUMMARY: summaryPath,
    ...o.env,
  };
  const child = spawn(args[0] as string, args.slice(1), {
    cwd: o.runDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own session: a Ctrl-C at the terminal would reach k6 as well as this process, and
    // k6 takes the second SIGINT (this process's, below) as "abort without a summary". Only
    // this process signals it; diesWithParent covers this process dying.
    detached: true,
  });
  const tail: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      o.onLine?.(line);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  let timedOut = false;
  let interrupted = false;
  const stop = (why: 'timeout' | 'interrupt') => {
    // Once only: k6 takes a second SIGINT as "abort now" and skips its summary, and a
    // supervisor may send SIGTERM more than once.
    if (timedOut || interrupted) return;
    if (why === 'timeout') timedOut = true;
    else interrupted = true;
    child.kill('SIGINT'); // k6 stops gracefully on the first SIGINT and writes its outputs
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  };
  const timer = setTimeout(() => stop('timeout'), o.timeoutMs);
  // SIGTERM too: `lab down` and `timeout` send it, and the run must still write its summary.
  const onSigint = () => stop('interrupt');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const onAbort = () => stop('interrupt');
  o.signal?.addEventListener('abort', onAbort);
  const count = pointCounter(rawPath, o.progressMetric ?? 'pulls');
  const ticker = setInterval(() => o.onProgress?.(count(), Date.now() - start), 1000);

  try {
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once('error', (e) => reject(new RunError('K6_SPAWN', `cannot start ${args[0]}: ${e.message}`)));
        child.once('close', (code, sig) => resolve([code, sig]));
      },
    );
    o.onProgress?.(count(), Date.now() - start);
    return {
      exitCode,
      signal,
      timedOut,
      interrupted,
      wallMs: Date.now() - start,
      rawPath,
      summaryPath,
      tail,
    };
  } finally {
    clearTimeout(timer);
    clearInterval(ticker);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The caller's environment minus k6's own options (K6_*) and the scenario's (STAMPEDE_*):
 * the run decides how k6 runs and what the scenario reads. An inherited K6_SUMMARY_EXPORT
 * would write setup()'s return value (the refresh token) to a file, K6_OUT would copy every
 * point elsewhere, K6_ADDRESS would bring the REST API back; a STAMPEDE_REFRESH_TOKEN or
 * STAMPEDE_PASSWORD meant for a real registry would be sent to the lab.
 */
function inheritedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !/^(K6|STAMPEDE)_/.test(k)));
}

/**
 * util-linux's setpriv asks the kernel to send k6 SIGTERM when this process dies, even by
 * SIGKILL, so a killed run never leaves k6 pulling on its own (k6 stops gracefully on it).
 */
export function diesWithParent(): string[] {
  return existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'TERM'] : [];
}
const SETPRIV = '/usr/bin/setpriv';
