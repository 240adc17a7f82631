/**
 * Runs a named model and packs its results into the result envelope (DESIGN.md). Raw
 * per-node records stream to `raw` as each point completes, so an interrupted sweep still
 * leaves the finished points on disk.
 */
import { defaults } from '../../lib/config/schema';
import type { Envelope, Point } from '../../lib/results/envelope';
import type { NdjsonWriter } from '../../lib/results/ndjson';
import { sweetSpot } from '../../lib/results/sweet-spot';
import type { ColdPullRun } from './cold-pull';
import { runColdPull } from './cold-pull';
import { runCopySweep } from './copy-sweep';
import { type ColdPullParams, type CopySweepParams, coldPullSchema, copySweepSchema } from './params';
import { readTargetTable, tableAsReference } from './target-table';

export const MODELS = {
  'cold-pull': {
    schema: coldPullSchema,
    summary: 'one cold-pull storm: every node pulls the same image at once',
  },
  'copy-sweep': {
    schema: copySweepSchema,
    summary: 'the per-layer copy-count sweep of the ACR post (Baseline .. Very high), one point each',
  },
} as const;

export type ModelName = keyof typeof MODELS;

export interface RunOptions {
  raw?: NdjsonWriter;
  onPoint?: (label: string, index: number, total: number) => void;
  /** cold-pull only: simulated time and nodes ready so far, every few simulated seconds. */
  onProgress?: (simS: number, ready: number, nodes: number) => void;
}

export function runModel(
  name: ModelName,
  params: ColdPullParams | CopySweepParams,
  seed: number,
  opts: RunOptions = {},
): Envelope {
  const started = performance.now();
  let events = 0;
  const points: Point[] = [];
  const record = (label: string, copies: number, run: ColdPullRun) => {
    events += run.events;
    points.push({ label, params: { 'storage.copies': copies }, metrics: run.metrics });
    opts.raw?.writeMany(rawRecords(label, run));
  };
  if (name === 'cold-pull') {
    const p = params as ColdPullParams;
    const run = runColdPull(
      p,
      seed,
      opts.onProgress && ((t, ready) => opts.onProgress?.(t, ready, p.workload.nodes)),
    );
    record(`C=${p.storage.copies}`, p.storage.copies, run);
    opts.onPoint?.(`C=${p.storage.copies}`, 0, 1);
  } else {
    runCopySweep(params as CopySweepParams, seed, (pt, i, total) => {
      record(pt.label, pt.copies, pt.run);
      opts.onPoint?.(pt.label, i, total);
    });
  }
  const env: Envelope = {
    tool: 'stampede',
    kind: 'sim',
    name,
    seed,
    params: params as unknown as Record<string, unknown>,
    metrics: points.length === 1 ? (points[0] as Point).metrics : {},
    points,
    runtime: { wallMs: Math.round(performance.now() - started), events },
  };
  if (name === 'copy-sweep') {
    const spot = sweetSpot(points);
    if (spot) env.metrics.sweetSpot = spot;
    const table = readTargetTable();
    if (
      sameExperiment(
        params as CopySweepParams,
        table.points.map((p) => p.label),
      )
    )
      env.reference = tableAsReference(table);
  }
  return env;
}

/**
 * The published table is the post's 1,000-node experiment (the defaults' fleet and image)
 * with its five configurations (the defaults' ladder): overlaying it on another fleet, image
 * or sweep would compare numbers that were never meant to match.
 */
function sameExperiment(p: CopySweepParams, labels: string[]): boolean {
  const post = defaults(copySweepSchema);
  return (
    p.workload.nodes === post.workload.nodes &&
    p.workload.layerSizesMiB.join() === post.workload.layerSizesMiB.join() &&
    p.sweep.labels.join() === labels.join() &&
    p.sweep.copies.join() === post.sweep.copies.join()
  );
}

function rawRecords(label: string, run: ColdPullRun): unknown[] {
  const n = run.nodes;
  const out: unknown[] = new Array(n.podStartupS.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = {
      point: label,
      node: i,
      podStartupS: num(n.podStartupS[i]),
      pullS: num(n.pullS[i]),
      egressBps: num(n.egressBps[i]),
      throttleEvents: n.throttled[i] ?? 0,
      ...(Number.isFinite(n.podStartupS[i] as number) ? {} : { error: 'NOT_READY_AT_HORIZON' }),
    };
  }
  return out;
}

/** JSON has no NaN: unfinished values become null. */
function num(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) ? v : null;
}
