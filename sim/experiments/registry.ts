/**
 * The one place simulator models are registered. `stampede sim` builds its subcommands,
 * help, validation, tables and report charts from this list at invocation time, so a model
 * registered later (a test's toy model) shows up like a built-in one.
 */
import { StampedeError } from '../../lib/errors';
import type { Envelope } from '../../lib/results/envelope';
import { cacheStampedeModel } from '../models/cache-stampede/plugin';
import { coldPullModel } from '../models/cold-pull/plugin';
import { copySweepModel } from '../models/copy-sweep/plugin';
import { failoverModel } from '../models/failover/plugin';
import { replicationModel } from '../models/replication/plugin';
import { stampsModel } from '../models/stamps/plugin';
import type { ModelDef } from './model';

/** Subcommands of `stampede sim` that are not models: a model may not take their names. */
export const RESERVED = ['calibrate'] as const;

/** A plug-in that cannot be registered (a programming error, caught by its own tests). */
export class ModelRegistryError extends StampedeError {
  constructor(code: 'DUPLICATE_MODEL' | 'BAD_MODEL_NAME', message: string) {
    super(code, message);
  }
}

const registered: ModelDef[] = [];

/** Adds a model; its name must be kebab-case, not taken and not a reserved subcommand. */
export function registerModel(def: ModelDef): void {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(def.name))
    throw new ModelRegistryError(
      'BAD_MODEL_NAME',
      `model name ${JSON.stringify(def.name)} is not kebab-case`,
    );
  if ((RESERVED as readonly string[]).includes(def.name))
    throw new ModelRegistryError(
      'BAD_MODEL_NAME',
      `model name ${def.name} is a built-in sim subcommand (${RESERVED.join(', ')})`,
    );
  if (registered.some((m) => m.name === def.name))
    throw new ModelRegistryError('DUPLICATE_MODEL', `a model named ${def.name} is already registered`);
  registered.push(def);
}

/** Every registered model, in registration order (the order of `stampede sim --help`). */
export function listModels(): readonly ModelDef[] {
  return registered;
}

export function findModel(name: string): ModelDef | undefined {
  return registered.find((m) => m.name === name);
}

// The built-in models, in help order. A new model is one line here.
for (const def of [
  coldPullModel,
  copySweepModel,
  failoverModel,
  replicationModel,
  stampsModel,
  cacheStampedeModel,
])
  registerModel(def);

/**
 * The charts a run's model adds to its report (reports/index.ts `charts` option). Only a
 * simulator run has a model: a k6 run of the cold-pull scenario shares the name, not the charts.
 */
export function modelCharts(envelope: Envelope): NonNullable<ModelDef['charts']> {
  return envelope.kind === 'sim' ? (findModel(envelope.name)?.charts ?? []) : [];
}
