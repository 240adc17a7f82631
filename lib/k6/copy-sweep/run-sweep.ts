/**
 * The copy sweep against the lab or a registry URL: cold-pull point by point, each in its
 * own run directory (<out>/points/NN-<label>/: k6's raw.ndjson streamed, its summary.json),
 * a line per finished point in <out>/points.ndjson and on the console, then one envelope
 * (<out>/summary.json) whose points have `sim copy-sweep`'s shape, and the report.
 *
 * Lab: the copy count is the lab's (PUT /storage, as `lab storage --copies`) and is put back
 * afterwards; each point seeds a fresh image (new random layers, so new digests and a
 * cold pull with a fresh placement). The lab's physics (backends, ceiling, per-stream rate,
 * throttling floor, the client's retry policy) go into the envelope's params.lab, which
 * `sim calibrate --target <run>` takes as given instead of fitting.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Io } from '../../cli/command';
import { flagList, flagString } from '../../cli/command';
import { InputError } from '../../errors';
import { labClient, labSocketPath } from '../../lab/lab-client';
import type { RuntimeStorage } from '../../lab/state';
import { backendId } from '../../lab/topology';
import type { Envelope, Point } from '../../results/envelope';
import { outDirClaim, RAW, readSummary, writeSummary } from '../../results/run-dir';
import { appendMarker, mergeMarkers } from '../markers';
import { checkLabOnly } from '../plan';
import type { SweepRun } from '../scenario';
import type { CopySweepRunParams } from './params';
import { measuredPoint, type PointSpec, pointLine, sweepMetrics } from './points';

/** The client side's retry policy (lib/k6/vu/retry.ts) as the lab run uses it: for the simulator. */
export const RETRY_POLICY = { jitter: [0.5, 1.5], baseS: 0.25, maxS: 8 } as const;

/** The lab's physics a sweep ran under: recorded, not fitted. */
export interface LabPhysics {
  backends: number;
  ceilingBps: number;
  minStreamBps: number;
  streamBps: number;
  selection: string;
  clientRegion: string;
  retry: typeof RETRY_POLICY & { retryAfterS: number; maxRetries: number };
  parallelLayers: number;
  layers: number[];
}

const quiet = (io: Io): Io => ({ out: () => {}, err: (t) => io.err(`  ${t}`), tty: false });

export async function runCopySweep(run: SweepRun<CopySweepRunParams>): Promise<number> {
  const { ctx, params: p, target } = run;
  const started = Date.now();
  const sets = flagList(ctx, 'set');
  const lab = target.kind === 'lab' ? labClient(labSocketPath(run.labName)) : null;
  let specs: PointSpec[];
  let physics: LabPhysics | undefined;
  let restore: Partial<RuntimeStorage> | undefined;
  if (lab) {
    const [{ config }, status] = await Promise.all([lab.config(), lab.status()]);
    const active = status.storage.backends;
    const bad = p.copies.find((c) => c > active);
    if (bad !== undefined)
      throw new InputError(
        'copies',
        `copy counts <= the lab's active storage backends (${active})`,
        p.copies,
      );
    restore = { copies: status.storage.copies, ceilingBps: status.storage.ceilingBps };
    specs = p.vus.flatMap((v) =>
      p.copies.map((c) => ({ label: p.vus.length > 1 ? `C=${c} V=${v}` : `C=${c}`, vus: v, copies: c })),
    );
    physics = {
      backends: active,
      ceilingBps: p.ceilingBps > 0 ? p.ceilingBps : status.storage.ceilingBps,
      minStreamBps: config.storage.minStreamBps,
      streamBps: config.storage.streamBps,
      selection: status.storage.selection,
      clientRegion: config.regions.clientRegion,
      retry: { ...RETRY_POLICY, retryAfterS: config.storage.retryAfterS, maxRetries: p.maxRetries },
      parallelLayers: p.parallelLayers,
      layers: p.layers,
    };
  } else {
    checkLabOnly({ name: 'copy-sweep', labOnly: ['copies', 'layers', 'ceilingBps'] } as never, sets);
    specs = p.vus.flatMap((v) =>
      p.images.map((image) => ({
        label: p.images.length > 1 ? `${image} V=${v}` : `V=${v}`,
        vus: v,
        image,
      })),
    );
  }
  const outDir = outDirClaim('copy-sweep', flagString(ctx, 'out'))();
  const pointsDir = join(outDir, 'points');
  mkdirSync(pointsDir, { recursive: true });
  const stamp = started.toString(36);
  const points: Point[] = [];
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (lab && p.ceilingBps > 0) await lab.setStorage({ ceilingBps: p.ceilingBps });
    for (const [i, spec] of specs.entries()) {
      if (interrupted) break;
      const dir = join(
        pointsDir,
        `${String(i + 1).padStart(2, '0')}-${spec.label.replace(/[^A-Za-z0-9]+/g, '-')}`,
      );
      let backendIds: string[] | undefined;
      const argv = ['cold-pull', '--out', dir, '--set', `vus=${spec.vus}`, ...common(p)];
      if (lab && physics) {
        const now = await lab.setStorage({ copies: spec.copies as number });
        const region = physics.clientRegion;
        backendIds = Array.from({ length: now.backends }, (_, b) => backendId(region, b));
        argv.push(
          '--target',
          'lab',
          '--name',
          run.labName,
          '--set',
          `image=stampede/copy-sweep-${stamp}-p${i + 1}:v1`,
          '--set',
          `layers=${p.layers.join(',')}`,
        );
      } else {
        argv.push('--target', (target as { url: string }).url, '--set', `image=${spec.image}`);
        if (ctx.flags.yes === true) argv.push('--yes');
        for (const h of flagList(ctx, 'trust-host')) argv.push('--trust-host', h);
      }
      appendMarker(outDir, 'sweep', `${spec.label} starts`, Date.now());
      const code = await run.runPoint(argv, quiet(ctx.io));
      appendMarker(outDir, 'sweep', `${spec.label} ends`, Date.now());
      let envelope: Envelope;
      try {
        envelope = readSummary(dir);
      } catch {
        ctx.io.err(`point ${i + 1}/${specs.length} ${spec.label}: no summary (cold-pull exited ${code})`);
        break;
      }
      const point = measuredPoint(spec, envelope, backendIds);
      points.push(point);
      appendFileSync(join(outDir, 'points.ndjson'), `${JSON.stringify({ dir, ...point })}\n`);
      ctx.io.err(pointLine(i + 1, specs.length, point));
      if (envelope.incomplete) {
        ctx.io.err(`point ${spec.label} incomplete (${envelope.incomplete.reason}): sweep stopped`);
        break;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (lab && restore) await lab.setStorage(restore).catch(() => {});
  }
  const envelope: Envelope = {
    tool: 'stampede',
    kind: 'k6',
    name: 'copy-sweep',
    seed: 0,
    params: {
      ...p,
      target: target.kind === 'lab' ? { kind: 'lab', lab: run.labName } : { kind: 'url', base: target.url },
      ...(physics && { lab: physics }),
    },
    metrics: sweepMetrics(points),
    points,
    runtime: { wallMs: Date.now() - started, events: points.length },
    ...(points.length < specs.length && {
      incomplete: { reason: `${points.length} of ${specs.length} points finished` },
    }),
  };
  // The sweep's raw stream holds only its markers (each point's k6 points are in its own dir).
  mergeMarkers(outDir, join(outDir, RAW));
  const summary = writeSummary(outDir, envelope);
  try {
    const { writeReport } = await import('../../../reports/index');
    ctx.io.out(`report: ${await writeReport([outDir])}`);
  } catch (e) {
    ctx.io.err(`report not written: ${(e as Error).message}`);
  }
  ctx.io.out(`summary: ${summary}`);
  const spot = envelope.metrics.sweetSpot as { label: string } | undefined;
  if (spot) ctx.io.err(`sweet spot: ${spot.label}`);
  const failed = points.some((pt) => ((pt.metrics.pulls as { failed: number } | undefined)?.failed ?? 0) > 0);
  return envelope.incomplete || failed ? 1 : 0;
}

/** The cold-pull parameters every point shares. */
function common(p: CopySweepRunParams): string[] {
  return [
    ['maxRetries', p.maxRetries],
    ['parallelLayers', p.parallelLayers],
    ['verifySample', p.verifySample],
    ['maxDurationS', p.maxDurationS],
  ].flatMap(([k, v]) => ['--set', `${k}=${v}`]);
}
