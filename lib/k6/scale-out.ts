/**
 * What `stampede run` adds for scale-out and k6's own ecosystem, kept out of the run
 * command: --shards N (lib/k6/shards.ts), --k6-out and --k6-dashboard (lib/k6/k6-out.ts)
 * and k6 thresholds (lib/k6/thresholds.ts). Validated once, before any lab, plan or run
 * dir; handed on unchanged to the run re-executed inside a lab's namespace.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors';
import type { Envelope } from '../results/envelope';
import { writeJsonAtomic } from '../results/run-dir';
import {
  DASHBOARD_PERIOD_MS,
  dashboardEnv,
  dashboardName,
  type K6Out,
  k6OutArgs,
  k6OutEnv,
  k6OutFlag,
  parseK6Outs,
  shardFile,
} from './k6-out';
import type { ScenarioDef } from './scenario';
import { checkShards, type ShardedRun, type ShardOutcome } from './shards';
import {
  crossedLines,
  evaluateThresholds,
  mergeThresholds,
  parseThresholdFlags,
  type ThresholdResult,
  type Thresholds,
} from './thresholds';

export interface ScaleOut {
  shards: number;
  outs: K6Out[];
  dashboard: boolean;
  thresholds: Thresholds;
  /** The user's --threshold values as given (for the re-executed run). */
  thresholdFlags: string[];
  /** --k6-memory-mib: a memory budget for all k6 processes together, MiB. */
  memoryMiB?: number;
}

export interface ScaleOutFlags {
  shards: string | undefined;
  k6Out: readonly string[];
  dashboard: boolean;
  threshold: readonly string[];
  memoryMiB?: string | undefined;
}

/** The run command's scale-out flags, checked against the scenario and its parameters. */
export function scaleOut(f: ScaleOutFlags, def: ScenarioDef, params: Record<string, unknown>): ScaleOut {
  const vus = typeof params.vus === 'number' ? params.vus : undefined;
  return {
    shards: checkShards(f.shards, vus),
    outs: parseK6Outs(f.k6Out),
    dashboard: f.dashboard,
    thresholds: mergeThresholds(def.thresholds?.(params), parseThresholdFlags(f.threshold)),
    thresholdFlags: [...f.threshold],
    ...(f.memoryMiB === undefined ? {} : { memoryMiB: checkMemory(f.memoryMiB) }),
  };
}

function checkMemory(raw: string): number {
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < 64 || n > 1 << 20)
    throw new InputError('--k6-memory-mib', 'a whole number of MiB from 64 to 1048576', raw);
  return n;
}

/**
 * Go's soft memory limit for one of `shards` k6 processes sharing `totalMiB`: the garbage
 * collector works harder as the heap nears it instead of letting it grow to twice the live
 * data (GOGC=100), which is where a k6 process holding 1,000 VUs' response bodies spends
 * most of its RSS. Soft: k6 is never killed for crossing it.
 */
export function goMemLimit(totalMiB: number, shards: number): string {
  return `${Math.max(16, Math.floor(totalMiB / shards))}MiB`;
}

/** The same choices as flags, for the run re-executed inside the lab's namespace. */
export function scaleOutArgv(s: ScaleOut): string[] {
  return [
    ...(s.shards > 1 ? ['--shards', String(s.shards)] : []),
    ...s.outs.flatMap((o) => ['--k6-out', k6OutFlag(o)]),
    ...(s.dashboard ? ['--k6-dashboard'] : []),
    ...s.thresholdFlags.flatMap((t) => ['--threshold', t]),
    ...(s.memoryMiB === undefined ? [] : ['--k6-memory-mib', String(s.memoryMiB)]),
  ];
}

/**
 * k6 arguments shared by every shard (the thresholds, through a --config file: k6 has no
 * flag for them, and a scenario's k6 entry need not know them) and what each shard adds.
 */
export function shardSetup(
  s: ScaleOut,
  runDir: string,
): {
  args: string[];
  env: Record<string, string>;
  perShard(i: number): Promise<{ args: string[]; env: Record<string, string> }>;
} {
  const args: string[] = [];
  // One process: k6 decides them too (its summary and dashboard show them, it exits 99).
  // Several: not given to k6, whose processes each see one segment (a count>=N over the
  // whole run would fail in every shard); stampede decides on the merged samples.
  if (s.shards === 1 && Object.keys(s.thresholds).length > 0) {
    const config = join(runDir, 'k6-config.json');
    writeJsonAtomic(config, { thresholds: s.thresholds });
    args.push('--config', config);
  }
  return {
    args,
    env: {
      ...k6OutEnv(s.outs),
      ...(s.memoryMiB === undefined ? {} : { GOMEMLIMIT: goMemLimit(s.memoryMiB, s.shards) }),
    },
    perShard: async (i) => ({
      args: k6OutArgs(s.outs, i, s.shards),
      env: s.dashboard ? await dashboardEnv(join(runDir, dashboardName(i, s.shards))) : {},
    }),
  };
}

export interface ScaleOutResult {
  thresholds: ThresholdResult[];
  /** Lines for the user: crossed thresholds, shard statuses, files k6 wrote. */
  lines: string[];
  /** True when a threshold was crossed: the run exits 1. */
  failed: boolean;
}

/**
 * After the run: thresholds decided on the merged samples, the shards recorded in the
 * envelope (runtime.shards, when there were several), and where k6's own files are.
 */
export function finishScaleOut(
  s: ScaleOut,
  run: ShardedRun,
  envelope: Envelope,
  records: readonly unknown[],
  spanMs?: number,
): ScaleOutResult {
  const thresholds = evaluateThresholds(s.thresholds, records, spanMs);
  if (thresholds.length > 0) {
    envelope.metrics.thresholds = thresholds;
    for (const p of envelope.points) p.metrics.thresholds = thresholds;
  }
  if (s.shards > 1) envelope.runtime.shards = run.shards;
  const lines = crossedLines(thresholds);
  if (s.shards > 1) lines.push(...shardLines(run.shards));
  for (const o of s.outs)
    if (o.kind !== 'experimental-prometheus-rw')
      for (let i = 0; i < s.shards; i++) lines.push(`k6 ${o.kind}: ${shardFile(o.file, i, s.shards)}`);
  if (s.dashboard)
    for (let i = 0; i < s.shards; i++) {
      const f = join(run.rawPath, '..', dashboardName(i, s.shards));
      lines.push(
        existsSync(f)
          ? `k6 dashboard: ${f}`
          : `k6 dashboard not written for shard ${i} (k6 exports it only after two of its ${DASHBOARD_PERIOD_MS} ms periods)`,
      );
    }
  const failed = thresholds.some((t) => !t.ok);
  // k6 exited 99 on a threshold stampede did not find crossed: one in the script's own
  // options, or a k6 percentile (an HDR histogram's) on the other side of the limit. The run
  // still fails: a crossed threshold is never waved through.
  const k6Crossed = run.shards.filter((x) => x.status === 'thresholds').map((x) => x.index);
  if (!failed && k6Crossed.length > 0)
    lines.push(
      `k6 reported a crossed threshold (exit 99${s.shards > 1 ? ` in shard ${k6Crossed.join(', ')}` : ''}) that the merged samples do not show crossed: see k6's summary`,
    );
  return { thresholds, lines, failed: failed || k6Crossed.length > 0 };
}

function shardLines(shards: readonly ShardOutcome[]): string[] {
  return [
    `shards: ${shards
      .map((x) => `${x.index} ${x.segment} ${x.status}${x.signal ? ` (${x.signal})` : ''} ${x.points} points`)
      .join('; ')}`,
  ];
}
