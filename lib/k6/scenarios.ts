/**
 * The scenario registry: the one place `stampede run` learns which scenarios exist. A new
 * scenario is a definition (defineScenario) and a thin k6 entry, registered here; tests
 * register their own with registerScenario.
 */
import { InputError } from '../errors';
import type { Envelope } from '../results/envelope';
import { cacheStampedeScenario } from './cache-stampede/scenario';
import { coldPullScenario } from './cold-pull/scenario';
import { copySweepScenario } from './copy-sweep/scenario';
import { dnsBounceScenario } from './dns-bounce/scenario';
import { failoverScenario } from './failover/scenario';
import { pushPullRaceScenario } from './push-pull-race/scenario';
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

/** A k6 run's own charts on its report page (by scenario name), as modelCharts for the simulator. */
export function scenarioCharts(envelope: Envelope): NonNullable<ScenarioDef['charts']> {
  return envelope.kind === 'k6' ? (registry.get(envelope.name)?.charts ?? []) : [];
}

registerScenario(coldPullScenario);
registerScenario(dnsBounceScenario);
registerScenario(failoverScenario);
registerScenario(pushPullRaceScenario);
registerScenario(copySweepScenario);
registerScenario(cacheStampedeScenario);
