/**
 * The body of a `--jobs` worker thread: finds the model (a built-in from the registry, or an
 * exported ModelDef of a plug-in module), runs it up to its sweep and computes the points it
 * claims from the shared counter, posting each one back (sweep-jobs.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ModelDef } from './model';
import { findModel } from './registry';
import { computeClaimed, type WorkerData, type WorkerMessage } from './sweep-jobs';

const data = workerData as WorkerData;
const post = (m: WorkerMessage) => parentPort?.postMessage(m);

async function modelOf(ref: WorkerData['model']): Promise<ModelDef> {
  if (ref.module) {
    const mod = (await import(ref.module)) as Record<string, unknown>;
    const def = Object.values(mod).find(
      (v): v is ModelDef => typeof v === 'object' && v !== null && (v as ModelDef).name === ref.name,
    );
    if (def) return def;
    throw new Error(`${ref.module} exports no model named ${ref.name}`);
  }
  const def = findModel(ref.name);
  if (!def) throw new Error(`no built-in model named ${ref.name} (a plug-in needs its module named)`);
  return def;
}

try {
  computeClaimed(await modelOf(data.model), data.params, data.seed, data.counter, post);
  post({ type: 'done' });
} catch (e) {
  post({ type: 'error', message: (e as Error).message, stack: (e as Error).stack });
}
