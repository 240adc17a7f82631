/**
 * One scenario over N k6 processes (`stampede run --shards N`). Each process runs one k6
 * execution segment (i/N:(i+1)/N of the sequence 0,1/N,...,1): k6 splits VUs and
 * iterations over the segments of one sequence so the parts add up exactly to one
 * process's run. Each shard streams its own raw-<i>.ndjson (tagged shard=<i> with k6's
 * --tag) while it runs; when all have stopped they are joined into the run's raw.ndjson,
 * so the envelope, the gate and the report read the merged samples as if one k6 had run
 * (quantiles from all samples, never averaged per shard). A shard that died is named with
 * its exit, signal and how many points it left; its points stay in raw.ndjson.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors';
import { RAW } from '../results/run-dir';
import { appendMarker } from './markers';
import { type K6RunOptions, type K6RunResult, runK6 } from './run';

/** Above this, processes outnumber what a 2-core machine schedules usefully many times over. */
export const MAX_SHARDS = 64;

export interface ShardSpec {
  index: number;
  count: number;
  /** k6's --execution-segment, e.g. 1/4:2/4. */
  segment: string;
  /** k6's --execution-segment-sequence, the same for every shard of a run. */
  sequence: string;
}

export function shardSpecs(count: number): ShardSpec[] {
  const frac = (k: number) => (k === 0 ? '0' : k === count ? '1' : `${k}/${count}`);
  const sequence = Array.from({ length: count + 1 }, (_, k) => frac(k)).join(',');
  return Array.from({ length: count }, (_, index) => ({
    index,
    count,
    segment: `${frac(index)}:${frac(index + 1)}`,
    sequence,
  }));
}

/**
 * --shards: a whole number from 1 to MAX_SHARDS and no more than the scenario's VUs (a
 * shard with no VU would run nothing and still pay a k6 process). `vus` is undefined for a
 * scenario without a `vus` parameter: then only the range is checked.
 */
export function checkShards(raw: string | undefined, vus: number | undefined): number {
  if (raw === undefined) return 1;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS)
    throw new InputError('--shards', `a whole number of k6 processes from 1 to ${MAX_SHARDS}`, raw);
  if (vus !== undefined && n > vus)
    throw new InputError('--shards', `at most as many shards as VUs (vus=${vus})`, raw);
  return n;
}

export type ShardStatus = 'ok' | 'thresholds' | 'killed' | 'failed' | 'timeout' | 'interrupted';

export interface ShardOutcome {
  index: number;
  segment: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** k6 Point lines it left in the raw stream. */
  points: number;
  status: ShardStatus;
  /** Its last lines of output when it did not finish: the reason. */
  tail?: string[];
}

/** k6's exit code when a threshold was crossed: the run finished, its criteria did not hold. */
export const K6_THRESHOLDS_CROSSED = 99;

export function shardStatus(r: K6RunResult): ShardStatus {
  if (r.timedOut) return 'timeout';
  if (r.interrupted) return 'interrupted';
  if (r.exitCode === 0) return 'ok';
  if (r.exitCode === K6_THRESHOLDS_CROSSED) return 'thresholds';
  return r.signal ? 'killed' : 'failed';
}

export interface ShardedRun {
  /** The merged raw stream (raw.ndjson in the run dir). */
  rawPath: string;
  wallMs: number;
  results: K6RunResult[];
  shards: ShardOutcome[];
}

export interface ShardExtras {
  args?: string[];
  env?: Record<string, string>;
}

export interface ShardRunOptions extends Omit<K6RunOptions, 'rawPath' | 'onProgress'> {
  shards: number;
  /** Extra arguments and environment of shard i (its own --out files, dashboard port). */
  perShard?(index: number): Promise<ShardExtras>;
  /** Points counted over all shards. */
  onProgress?(count: number, elapsedMs: number): void;
}

/** The per-shard raw stream: raw-<i>.ndjson beside the merged raw.ndjson. */
export const shardRawName = (i: number) => `raw-${i}.ndjson`;
/** k6's own summary of one shard (the scenario's handleSummary writes it). */
export const shardSummaryName = (i: number) => `k6-summary-${i}.json`;

/**
 * Runs the shards side by side and joins their raw streams. With shards = 1 this is one
 * plain k6 run into raw.ndjson (no segment, no tag), as before --shards existed.
 */
export async function runShards(o: ShardRunOptions): Promise<ShardedRun> {
  const { shards: count, perShard, onProgress, ...base } = o;
  const merged = join(o.runDir, RAW);
  const start = Date.now();
  if (count === 1) {
    const own: ShardExtras = (await perShard?.(0)) ?? {};
    const r = await runK6({
      ...base,
      args: [...(base.args ?? []), ...(own.args ?? [])],
      env: { ...base.env, ...own.env },
      ...(onProgress ? { onProgress } : {}),
    });
    const points = countPoints(r.rawPath);
    return {
      rawPath: r.rawPath,
      wallMs: r.wallMs,
      results: [r],
      shards: [outcome(0, '0:1', r, points)],
    };
  }
  const specs = shardSpecs(count);
  const counts = new Array<number>(count).fill(0);
  const prepared = await Promise.all(
    specs.map((s): Promise<ShardExtras> => perShard?.(s.index) ?? Promise.resolve({})),
  );
  const results = await Promise.all(
    specs.map((s) => {
      const own = prepared[s.index] ?? {};
      appendMarker(o.runDir, 'shard', `shard ${s.index} starts`, Date.now());
      return runK6({
        ...base,
        rawPath: join(o.runDir, shardRawName(s.index)),
        args: [
          ...(base.args ?? []),
          '--execution-segment',
          s.segment,
          '--execution-segment-sequence',
          s.sequence,
          // Every point says which process measured it: a dead shard's points stay findable.
          '--tag',
          `shard=${s.index}`,
          ...(own.args ?? []),
        ],
        env: {
          ...base.env,
          STAMPEDE_K6_SUMMARY: join(o.runDir, shardSummaryName(s.index)),
          ...own.env,
        },
        onProgress: (n, ms) => {
          counts[s.index] = n;
          onProgress?.(
            counts.reduce((a, b) => a + b, 0),
            ms,
          );
        },
      }).then((r) => {
        appendMarker(o.runDir, 'shard', shardEndLabel(s.index, r), Date.now());
        return r;
      });
    }),
  );
  const points = mergeRaw(
    results.map((r) => r.rawPath),
    merged,
  );
  return {
    rawPath: merged,
    wallMs: Date.now() - start,
    results,
    shards: results.map((r, i) => outcome(i, specs[i]?.segment ?? '', r, points[i] ?? 0)),
  };
}

/** A shard's end as its marker says it: done, or how it stopped. */
export function shardEndLabel(index: number, r: K6RunResult): string {
  const status = shardStatus(r);
  if (status === 'ok' || status === 'thresholds') return `shard ${index} done`;
  if (status === 'killed') return `shard ${index} killed (${r.signal})`;
  if (status === 'failed') return `shard ${index} exited ${r.exitCode}`;
  return `shard ${index} ${status === 'timeout' ? 'timed out' : 'interrupted'}`;
}

function outcome(index: number, segment: string, r: K6RunResult, points: number): ShardOutcome {
  const status = shardStatus(r);
  return {
    index,
    segment,
    exitCode: r.exitCode,
    signal: r.signal,
    points,
    status,
    ...(status === 'ok' || status === 'thresholds' ? {} : { tail: r.tail.slice(-3) }),
  };
}

/**
 * Why a run did not finish, from its shards (undefined when every one did). A crossed
 * threshold (exit 99) is a finished run: the thresholds decide its verdict, not this.
 */
export function shardsIncomplete(shards: readonly ShardOutcome[], timeoutS: number): string | undefined {
  if (shards.some((s) => s.status === 'timeout')) return `k6 hit the ${timeoutS}s timeout`;
  if (shards.some((s) => s.status === 'interrupted')) return 'interrupted';
  const bad = shards.filter((s) => s.status === 'killed' || s.status === 'failed');
  if (bad.length === 0) return undefined;
  if (shards.length === 1) {
    const s = bad[0] as ShardOutcome;
    return `k6 exited ${s.exitCode ?? s.signal}: ${(s.tail ?? []).join(' | ')}`;
  }
  return bad
    .map(
      (s) =>
        `shard ${s.index} of ${shards.length} (segment ${s.segment}) ${s.status === 'killed' ? `killed by ${s.signal}` : `exited ${s.exitCode}`} after ${s.points} points${s.tail?.length ? `: ${s.tail.join(' | ')}` : ''}`,
    )
    .join('; ');
}

/** Counts k6 Point lines in a raw stream (0 when k6 never wrote it). */
export function countPoints(path: string): number {
  const count = lineCounter();
  eachChunk(path, count.add);
  return count.total();
}

/** Point lines over chunks: a line split across two chunks counts once, a torn last line not at all. */
function lineCounter(): { add(text: string): void; total(): number } {
  let n = 0;
  let carry = '';
  return {
    add(text) {
      const lines = (carry + text).split('\n');
      carry = lines.pop() ?? '';
      for (const l of lines) if (l.includes('"type":"Point"')) n++;
    },
    total: () => n,
  };
}

/**
 * Appends the shard streams, in shard order, to `into` and removes them; returns the Point
 * lines each held. A torn last line (a killed shard) is ended with a newline so it stays
 * one unreadable line and never glues onto the next shard's first. The shard tag on every
 * point keeps the origin; removing the parts keeps the disk use of one stream.
 */
export function mergeRaw(parts: readonly string[], into: string): number[] {
  const out = openSync(into, 'w');
  const counts: number[] = [];
  try {
    for (const part of parts) {
      const count = lineCounter();
      let last = '\n';
      eachChunk(part, (text, buf, len) => {
        writeSync(out, buf, 0, len);
        last = text.slice(-1) || last;
        count.add(text);
      });
      if (last !== '\n') writeSync(out, '\n');
      counts.push(count.total());
    }
  } finally {
    closeSync(out);
  }
  for (const part of parts) rmSync(part, { force: true });
  return counts;
}

function eachChunk(path: string, fn: (text: string, buf: Buffer, len: number) => void): void {
  if (!existsSync(path)) return;
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      fn(buf.toString('utf8', 0, n), buf, n);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * A sharded run whose stampede process died before joining its shards (SIGKILL: the kernel
 * stops the k6 processes, which still close their raw-<i>.ndjson) leaves no raw.ndjson.
 * Joins them now, as the run would have, so `stampede report <dir>` rebuilds the page from
 * every shard's points. Does nothing when raw.ndjson exists or there is no shard stream.
 */
export function joinLeftShards(runDir: string): boolean {
  if (existsSync(join(runDir, RAW))) return false;
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return false;
  }
  const parts = names
    .map((n) => /^raw-(\d+)\.ndjson$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => join(runDir, m[0]));
  if (parts.length === 0) return false;
  mergeRaw(parts, join(runDir, RAW));
  return true;
}
