/**
 * The failover scenario (k6 entry: scenarios/failover.ts): VUs pull a small image
 * continuously through the global name while the runner breaks the clients' region and
 * heals it (schedule.ts). The summary has the simulator's failover metrics (measure.ts)
 * and the run directory gets twin-params.json, the simulated twin's parameters
 * (`stampede sim failover --params <run>/twin-params.json`). Lab only: the fault goes in
 * through the lab's API.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failoverCdfChart } from '../../../reports/charts/failover-cdf';
import { failoverRegionShareChart } from '../../../reports/charts/failover-region-share';
import { InputError, RunError } from '../../errors';
import type { LabConfig } from '../../lab/config';
import type { Quantiles } from '../../results/envelope';
import { prepareLabTarget } from '../lab-target';
import { defineScenario, type LabInfo } from '../scenario';
import { type FailoverSchedule, measureFailover } from './measure';
import { type FailoverRunParams, failoverRunSchema, validateFailoverRun } from './params';
import { runFaultSchedule, SCHEDULE_FILE } from './schedule';
import { TWIN_FILE, twinParams } from './twin';

/** The lab's settings each `lab.*` parameter must equal (the lab reads them at start). */
const LAB_SETTINGS: Array<[keyof FailoverRunParams['lab'], (c: LabConfig) => number, string]> = [
  ['probeIntervalS', (c) => c.dns.probeIntervalS, 'dns.probeIntervalS'],
  ['toleratedFailures', (c) => c.dns.toleratedFailures, 'dns.toleratedFailures'],
  ['probeTimeoutS', (c) => c.dns.probeTimeoutS, 'dns.probeTimeoutS'],
  ['ttlS', (c) => c.dns.ttlS, 'dns.ttlS'],
  ['sustainS', (c) => c.health.sustainS, 'health.sustainS'],
  ['checkIntervalS', (c) => c.health.checkIntervalS, 'health.checkIntervalS'],
];

export function checkLabSettings(p: FailoverRunParams, config: LabConfig): void {
  for (const [key, read, labKey] of LAB_SETTINGS) {
    const have = read(config);
    if (have !== p.lab[key])
      throw new InputError(
        `lab.${key}`,
        `the running lab's ${labKey} = ${have} (set lab.${key}=${have}, or start the lab with --set ${labKey}=${p.lab[key]})`,
        p.lab[key],
      );
  }
}

const registryOf = (lab: LabInfo, p: FailoverRunParams) =>
  p.registry || (lab.config.registry.names[0] as string);

const fmt = (v: number | null | undefined) => (typeof v === 'number' ? `${v.toFixed(1)}s` : '-');
const quant = (v: unknown) => {
  const x = v as Quantiles | null | undefined;
  return x ? `P50 ${fmt(x.p50)} P90 ${fmt(x.p90)}` : 'none';
};

/** Faults that must never move traffic: a 429 storm, a crashed monitor (fails open), a fraction of 500s. */
const NO_FAILOVER = new Set(['throttle', 'health-monitor-crash', 'front-errors']);

export const failoverScenario = defineScenario<FailoverRunParams>({
  name: 'failover',
  summary: "VUs pull continuously through the global name while the clients' region fails and heals",
  help: `Lab only. The lab must run with the Traffic-Manager and health settings named by lab.* (it
reads them at start), e.g. the fast lab:
  stampede lab up --detach --set dns.probeIntervalS=2 --set dns.toleratedFailures=2 \\
    --set dns.probeTimeoutS=1 --set dns.ttlS=5 --set health.sustainS=4 --set health.checkIntervalS=1
  stampede run failover --target lab --set fault.kind=region-down
  stampede sim failover --params runs/<run dir>/twin-params.json      the simulated twin
  stampede report runs/<run dir> runs/<sim dir>                       measured vs simulated`,
  schema: failoverRunSchema,
  script: 'failover',
  labOnly: ['layers', 'seed', 'registry'],
  validate: validateFailoverRun,
  async prepareLab(lab, p) {
    checkLabSettings(p, lab.config);
    return prepareLabTarget(lab, { image: p.image, layers: p.layers, seed: p.seed, registry: p.registry });
  },
  requiresLab: true,
  progress: { metric: 'failover_request', unit: 'pulls', total: () => 0 },
  maxDurationS: (p) => p.durationS + 30,
  async duringRun(run) {
    if (!run.lab || !run.outDir) throw new RunError('FAILOVER_NO_LAB', 'the failover scenario needs the lab');
    await runFaultSchedule(
      { ...run, lab: run.lab, outDir: run.outDir },
      registryOf(run.lab.info, run.params),
    );
  },
  summaryMetrics: ['failover_request'],
  summarize({ records, params, outDir }) {
    const file = join(outDir, SCHEDULE_FILE);
    if (!existsSync(file))
      return { metrics: {}, notes: [`failover: no ${SCHEDULE_FILE}: the fault schedule did not run`] };
    const schedule = JSON.parse(readFileSync(file, 'utf8')) as FailoverSchedule;
    const { metrics, raw } = measureFailover(records, schedule, params);
    const twin = twinParams(params, schedule, metrics);
    writeFileSync(join(outDir, TWIN_FILE), `${JSON.stringify(twin, null, 2)}\n`);
    return {
      metrics,
      raw,
      notes: [`failover: simulated twin: stampede sim failover --params ${join(outDir, TWIN_FILE)}`],
    };
  },
  charts: [failoverCdfChart, failoverRegionShareChart],
  verdict(envelope, params) {
    const m = envelope.metrics;
    const kind = params.fault.kind;
    const switched = (m.clientsSwitched as number | undefined) ?? 0;
    const without = (m.clientsWithoutSuccess as number | undefined) ?? params.vus;
    const detection = m.detectionS as number | null | undefined;
    const line = [
      `${kind}: detection ${fmt(detection)}`,
      `failover ${quant(m.failoverS)}`,
      `failback ${quant(m.failbackS)}`,
      `${switched}/${params.vus} VUs switched region`,
    ].join('; ');
    // No failover is the point of these faults; the others must bring every VU back.
    const bad = NO_FAILOVER.has(kind) ? switched > 0 || (detection ?? null) !== null : without > 0;
    return { exitCode: bad ? 1 : 0, line };
  },
});
