/**
 * The scenario contract: what `stampede run <name>` needs to know about a k6 scenario. The
 * run command, its help, its progress line, its verdict and its lab preparation all come
 * from here; the scenario's k6 entry gets the validated parameters as one JSON value
 * (__ENV.STAMPEDE_PARAMS), so defaults live in the schema alone.
 */
import type { ChartEntry, ReportRun } from '../../reports/types';
import type { Ctx, Io } from '../cli/command';
import type { Schema } from '../config/schema';
import type { LabConfig } from '../lab/config';
import type { LabClient } from '../lab/lab-client';
import type { LabStatus } from '../lab/supervisor';
import type { Topology } from '../lab/topology';
import type { Envelope, Metrics, Point } from '../results/envelope';
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
  /** Markers of what prepareLab set (a DNS flap starting), written to the run's raw stream. */
  markers?: Array<{ kind: string; label: string; atMs: number }>;
  /** Undoes what prepareLab set on the lab (e.g. a fault for the run): called once k6 is done. */
  cleanup?(): Promise<void>;
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
  /** The run directory (a schedule may leave its record there for summarize). */
  outDir?: string;
  /** The lab and its API client, for a lab target (a fault schedule injects through it). */
  lab?: { client: LabClient; info: LabInfo };
}

/** What a scenario adds to its envelope from the run's records (after k6 exits). */
export interface ScenarioSummary {
  /** Merged over the generic envelope's metrics. */
  metrics: Partial<Metrics>;
  /** Replace the envelope's one point (e.g. one per strategy). */
  points?: Point[];
  /** Derived records appended to raw.ndjson (so a report rebuilt from raw has them). */
  raw?: readonly unknown[];
  /** Lines for the console. */
  notes?: string[];
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
  /** Only a lab target (the scenario drives the lab, e.g. injects faults): a URL is exit 2. */
  requiresLab?: boolean;
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
  /** Cross-field checks of the resolved parameters (InputError: exit 2). */
  validate?(params: P): void;
  /**
   * The scenario's own metrics and points, from k6's records (and what duringRun left in
   * outDir), over the generic envelope the run built from the same records.
   */
  summarize?(run: SummaryInput<P>): ScenarioSummary;
  /**
   * The k6 metrics whose points summarize reads: only those (and the records that are not
   * k6 points) are held for it while raw.ndjson is streamed. Unset with a summarize: every
   * point is held (correct, but a 1,000-VU run's points all in memory).
   */
  summaryMetrics?: readonly string[];
  /** Charts of the scenario's own, drawn after the catalog's on the run's page. */
  charts?: ReadonlyArray<ChartEntry<ReportRun>>;
  /**
   * k6 thresholds in k6's syntax ({ pull_duration: ['p(99)<5000'] }): a crossed one fails
   * the run (exit 1) and shows in the report (lib/k6/thresholds.ts).
   */
  thresholds?(params: P): Record<string, string[]>;
  /**
   * Set for a scenario that runs other scenarios point by point (copy-sweep): the run
   * command hands it the validated parameters and does nothing else.
   */
  sweep?(run: SweepRun<P>): Promise<number>;
  /** The run's result line and exit code from its envelope. */
  verdict(envelope: Envelope, params: P): Verdict;
  /**
   * A registry-URL target: checks what such a run needs beyond the schema (e.g. its regional
   * endpoints), throwing an InputError naming the field, before any request.
   */
  checkTarget?(params: P, base: string): void;
}

export interface SummaryInput<P> {
  /** The generic k6 envelope built from the same records. */
  envelope: Envelope;
  /** The run's records that are not k6 points, and the points of `summaryMetrics`. */
  records: readonly unknown[];
  params: P;
  outDir: string;
  /** Lab target: the lab's status after the run (replication, webhooks, backends). */
  labStatus?: LabStatus;
}

export function defineScenario<P>(def: ScenarioDef<P>): ScenarioDef<P> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name))
    throw new Error(`scenario name ${JSON.stringify(def.name)} is not kebab-case`);
  return def;
}
