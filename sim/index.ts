/** Public entry of the simulator: kernel, network, models and named experiments. */

export { calibrate, evaluate, FREE_PARAMS } from './experiments/calibrate';
export { runColdPull } from './experiments/cold-pull';
export { runCopySweep } from './experiments/copy-sweep';
export { coldPullSchema, copySweepSchema } from './experiments/params';
export { listPresets, loadPreset } from './experiments/presets';
export { MODELS, type ModelName, runModel } from './experiments/run-model';
export { PUBLISHED_TABLE, readTargetTable } from './experiments/target-table';
export { createRng, Env, EventQueue, Priority, type Rng } from './kernel';
export { createStoragePool, startClients } from './models';
export { FlowNetwork } from './net';
