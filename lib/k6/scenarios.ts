/**
 * The scenario registry: the one place `stampede run` learns which scenarios exist. A new
 * scenario is a definition (defineScenario) and a thin k6 entry, registered here; tests
 * register their own with registerScenario.
 */
import { InputError } from '../errors';
import { coldPullScenario } from './cold-pull/scenario';
import { copySweepScenario } from './copy-sweep/scenario';
import type { ScenarioDef } from './scenario';

export { type ColdPullParams, coldPullSchema } from './cold-pull/params';

const registry = new Map<string, ScenarioDef>();

/** Adds a scenario; a second one of the same name is a programming error. */
export function registerScenario<P>(def: ScenarioDef<P>): () => void {
  if (registry.has(def.name)) throw new Error(`scenario ${def.name} is already registered`);
  registry.set(def.name, def as unknown as ScenarioDef);
  return () => registry.delete(def.name);
}

export function scenarioNames(): string[] {
  return [...registry.keys()];
}

export function scenarios(): ScenarioDef[] {
  return [...registry.values()];
}

export function getScenario(name: string | undefined): ScenarioDef {
  const def = name === undefined ? undefined : registry.get(name);
  if (!def) throw new InputError('<scenario>', `one of ${scenarioNames().join(', ')}`, name);
  return def;
}

registerScenario(coldPullScenario);
registerScenario(copySweepScenario);
