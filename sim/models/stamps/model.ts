/**
 * One `stampede sim stamps` run: the region's registries, the phases (typed or planned),
 * the timeline they make, the minute-by-minute simulation, and the signals of every
 * stamp's pools before the first cutover, after each phase and at the end.
 */
import type { StampsParams } from './params';
import { buildTimeline, type Phase, parsePhase, type Timeline } from './phases';
import { buildRegistries, type RegistrySpec } from './region';
import { type Signals, signals } from './signals';
import { type Cutover, type HotNodeProbe, type PoolSeries, simulate } from './simulate';

export interface PoolSignals {
  stamp: string;
  pool: 'registry' | 'dataproxy';
  shared: boolean;
  before: Signals;
  after: Signals;
  /** Signals over each phase's observation window, in phase order (absent before the stamp existed). */
  phases: Array<Signals | null>;
  minInstances: number;
}

export interface StampsRun {
  timeline: Timeline;
  phases: Phase[];
  signals: PoolSignals[];
  series: PoolSeries[];
  registries: RegistrySpec[];
  events: number;
  storms: number;
}

export function typedPhases(p: StampsParams): Phase[] {
  const phases = p.rebalance.phases.map((text, i) => parsePhase(text, `rebalance.phases[${i}]`));
  return withRightSize(p, phases);
}

export function withRightSize(p: StampsParams, phases: Phase[]): Phase[] {
  if (!p.rebalance.rightSize || phases.length === 0) return phases;
  return [
    ...phases,
    { label: 'right-size VMSS minimum', registries: [], dest: '', hours: 24, kind: 'right-size' },
  ];
}

/** What a run may be given besides its parameters, phases and seed. */
export interface SimulateOptions {
  onDay?: (day: number, days: number) => void;
  /** The region's registries (default: buildRegistries(p)), when the caller built them already. */
  registries?: RegistrySpec[];
  probe?: HotNodeProbe;
  /** Only these stamps' signals are wanted (the others are not computed and left out); all when absent. */
  readStamps?: readonly string[];
}

export function simulatePhases(
  p: StampsParams,
  phases: Phase[],
  seed: number,
  { onDay, registries = buildRegistries(p), probe, readStamps }: SimulateOptions = {},
): StampsRun {
  const windowMin = p.run.windowHours * 60;
  const timeline = buildTimeline(phases, windowMin, p.run.days);
  const index = new Map(registries.map((r, i) => [r.name, i]));
  const cutovers: Cutover[] = timeline.phases.map(({ phase, cutover }) => ({
    minute: cutover,
    kind: phase.kind,
    dest: phase.dest,
    registries: phase.registries.map((n) => index.get(n) as number),
  }));
  const out = simulate(p, registries, timeline, cutovers, seed, onDay, probe, readStamps);
  // The table's "after" is the last move's window: right-sizing that follows is its own phase.
  const moves = timeline.phases.filter((x) => x.phase.kind === 'move');
  const afterWindow = moves.length
    ? (moves[moves.length - 1] as (typeof moves)[number]).window
    : timeline.after;
  // With readStamps, the region's other stamps were not computed; stamps made by a cutover were.
  const read = readStamps
    ? out.series.filter((s) => readStamps.includes(s.stamp) || !p.region.stamps.includes(s.stamp))
    : out.series;
  const sig: PoolSignals[] = read.map((s) => {
    const read = (from: number) => signals(s, from, windowMin, p.run.percentile);
    const phaseSignals = timeline.phases.map(({ window }) => {
      const r = read(window);
      return Number.isNaN(r.hotNodeP95) ? null : r;
    });
    return {
      stamp: s.stamp,
      pool: s.pool,
      shared: s.shared,
      before: read(timeline.before),
      after: read(afterWindow),
      phases: phaseSignals,
      minInstances: s.minInstances,
    };
  });
  return {
    timeline,
    phases,
    signals: sig,
    series: out.series,
    registries,
    events: out.events,
    storms: out.storms,
  };
}
