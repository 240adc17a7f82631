/**
 * The scenario contract: what `stampede run <name>` needs to know about a k6 scenario. The
 * run command, its help, its progress line, its verdict and its lab preparation all come
 * from here; the scenario's k6 entry gets the validated parameters as one JSON value
 * (__ENV.STAMPEDE_PARAMS), so defaults live in the schema alone.
 */
import type { Ctx, Io } from '../cli/command';
import type { Schema } from '../config/schema';
import type { LabConfig } from '../lab/config';
import type { Topology } from '../lab/topology';
import type { Envelope } from '../results/envelope';
import type { ScenarioPlan } from './plan';

/** The running lab, as the run command knows it. */
export interface LabInfo {
  config: LabConfig;
  topology: Topology;
  netns: boolean;
  hosts: Record<string, string>;
}

/** What a lab run needs from the lab: where to send requests and the child's environment. */
export interface LabPrep {
  base: string;
  /** Credentials and the like for k6's environment (secrets go here, never in params). */
  env: Record<string, string>;
  /** Safe to print and to put in results (no secrets). */
  describe: Record<string, unknown>;
  /** Lines for the user (e.g. what was seeded). */
  notes?: string[];
}

export interface Verdict {
  /** 1 when the run failed its own criterion (e.g. a pull failed). */
  exitCode: 0 | 1;
  /** One line for the console: what the run measured. */
  line: string;
}

export interface DuringRun<P> {
  params: P;
  base: string;
  /** Aborted when k6 has exited. */
  signal: AbortSignal;
  io: Io;
}

/** A scenario that is a series of runs (copy-sweep): what its `sweep` gets from `stampede run`. */
export interface SweepRun<P> {
  ctx: Ctx;
  params: P;
  target: { kind: 'lab' } | { kind: 'url'; url: string };
  labName: string;
  /** One point: `stampede run <argv>` in this process (its own run dir, raw data and summary). */
  runPoint(argv: string[], io: Io): Promise<number>;
}

/**
 * Methods (not function-valued properties) on purpose: their parameters are bivariant, so a
 * ScenarioDef<ColdPullParams> is a ScenarioDef<Record<string, unknown>> for the registry.
 */
export interface ScenarioDef<P = Record<string, unknown>> {
  /** kebab-case, the command's positional. */
  name: string;
  /** One line for the scenario list. */
  summary: string;
  /** Longer help printed under the run command's help when this scenario is named. */
  help?: string;
  schema: Schema;
  /**
   * The k6 entry script: a name under scenarios/ or an absolute .ts path (tests, plug-ins).
   * It reads one JSON value, __ENV.STAMPEDE_PARAMS: the validated parameters plus `baseUrl`
   * (where to send requests) and, for a lab without its own DNS, `hosts` (names -> addresses).
   */
  script: string;
  /** Parameters that only mean something for a lab target. */
  labOnly?: readonly string[];
  /** Prepares the lab (seeding, credentials). Default: the lab's global name and its puller. */
  prepareLab?(lab: LabInfo, params: P, io: Io): Promise<LabPrep>;
  /** What a run against a real registry at `base` will send, for its plan (lib/k6/plan.ts). */
  plan?(params: P, base: string): ScenarioPlan;
  /** What the progress line counts: points of `metric`, out of `total(params)`. */
  progress?: { metric: string; unit: string; total(params: P): number };
  /** The k6 scenario's own time cap, s (the run stops k6 two minutes after it). */
  maxDurationS?(params: P): number;
  /** Runs beside k6 (e.g. a fault schedule); awaited before the summary is written. */
  duringRun?(run: DuringRun<P>): Promise<void>;
  /**
   * Set for a scenario that runs other scenarios point by point (copy-sweep): the run
   * command hands it the validated parameters and does nothing else.
   */
  sweep?(run: SweepRun<P>): Promise<number>;
  /** The run's result line and exit code from its envelope. */
  verdict(envelope: Envelope, params: P): Verdict;
}

export function defineScenario<P>(def: ScenarioDef<P>): ScenarioDef<P> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name))
    throw new Error(`scenario name ${JSON.stringify(def.name)} is not kebab-case`);
  return def;
}
