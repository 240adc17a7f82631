/** Public entry of the simulator: kernel, network, models, their registry and named experiments. */

export { calibrate, evaluate, FREE_PARAMS } from './experiments/calibrate';
export {
  defineModel,
  type GivenParams,
  type ModelDef,
  type ModelIo,
  type ModelResult,
} from './experiments/model';
export { listPresets, loadPreset } from './experiments/presets';
export { findModel, listModels, registerModel } from './experiments/registry';
export { QUIET_IO, simulate } from './experiments/simulate';
export { runSweep, type SweepAxis, withParam } from './experiments/sweep';
export { PUBLISHED_TABLE, readTargetTable } from './experiments/target-table';
export { createRng, Env, EventQueue, Priority, type Rng } from './kernel';
export { createStoragePool, startClients } from './models';
export { coldPullSchema } from './models/cold-pull/params';
export { coldPullModel } from './models/cold-pull/plugin';
export { runColdPull } from './models/cold-pull/storm';
export { copySweepSchema } from './models/copy-sweep/params';
export { copySweepModel } from './models/copy-sweep/plugin';
export { runCopySweep } from './models/copy-sweep/sweep';
export { FlowNetwork } from './net';
