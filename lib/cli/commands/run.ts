/**
 * `stampede run <scenario> --target lab|<registry URL>`: bundles the scenario, runs the
 * pinned k6 on it (inside the lab's namespace when the target is a namespaced lab, so k6's
 * own resolver asks the lab DNS), streams raw points to <out>/raw.ndjson, then writes the
 * result envelope (<out>/summary.json, and --json FILE) and the HTML report.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeReport } from '../../../reports/index';
import { streamRawFile } from '../../../reports/stream-raw';
import { modelCharts } from '../../../sim/experiments/registry';
import { registryCredentials } from '../../acr/registry-credentials';
import { helpRows, resolve as resolveParams } from '../../config/schema';
import { InputError, RunError } from '../../errors';
import { bundleScenario, REPO_ROOT } from '../../k6/bundle';
import { collectMetrics, k6Envelope } from '../../k6/collect';
import { labTarget } from '../../k6/lab-target';
import { findListSweep, type ListSweep, pointArgv, sweepPointDir } from '../../k6/list-sweep';
import { appendMarker, mergeMarkers } from '../../k6/markers';
import { withOwnSummary } from '../../k6/own-summary';
import { checkLabOnly, confirmPlan, needsPlan, type Prompt, runPlan, stdinPrompt } from '../../k6/plan';
import { diesWithParent } from '../../k6/run';
import { finishScaleOut, type ScaleOut, scaleOut, scaleOutArgv, shardSetup } from '../../k6/scale-out';
import type { LabInfo, LabPrep, ScenarioDef } from '../../k6/scenario';
import { getScenario, scenarioCharts, scenarios } from '../../k6/scenarios';
import { runShards, shardsIncomplete } from '../../k6/shards';
import { thresholdMetrics } from '../../k6/thresholds';
import { asLabRun, labRuns } from '../../lab/cleanup';
import { labSchema } from '../../lab/config';
import { labClient, labSocketPath } from '../../lab/lab-client';
import { nsExec } from '../../lab/netns';
import type { BackendStats } from '../../lab/storage';
import type { LabStatus } from '../../lab/supervisor';
import type { Topology } from '../../lab/topology';
import type { Envelope } from '../../results/envelope';
import {
  checkOutFile,
  outDirClaim,
  RAW,
  RunOutputs,
  writeJsonAtomic,
  writeSummary,
} from '../../results/run-dir';
import { type Ctx, defineCommand, flagList, flagString, runCommand } from '../command';
import { progress } from '../progress';

/**
 * Set in the environment of the run re-executed inside a lab's namespace (its value: the
 * namespace), so that run knows it is inside and does not re-enter.
 */
const IN_LAB_NAMESPACE = 'STAMPEDE_IN_LAB_NAMESPACE';

function target(raw: string | undefined): { kind: 'lab' } | { kind: 'url'; url: string } {
  if (raw === undefined || raw === 'lab') return { kind: 'lab' };
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InputError('--target', 'lab or a registry URL like https://myreg.azurecr.io', raw);
  }
  if (
    (u.protocol !== 'http:' && u.protocol !== 'https:') ||
    u.username ||
    u.password ||
    u.pathname.length > 1 ||
    // `?` and `#` alone leave search and hash empty: look at the text too.
    /[?#]/.test(raw)
  )
    throw new InputError(
      '--target',
      'lab or http(s)://host[:port] with no path, query, fragment or credentials',
      raw,
    );
  return { kind: 'url', url: `${u.protocol}//${u.host}` };
}

/**
 * The same command, re-run inside the namespace (so Node seeding and k6 both use the lab
 * DNS). The child runs in its own session: a Ctrl-C at the terminal reaches this process
 * only, and every way of stopping the run (SIGINT or SIGTERM to this pid, Ctrl-C to the
 * group, `timeout`) takes one path: the signal is passed on, and the child stops k6 once and
 * writes its summary and report as a run outside a namespace does.
 */
async function reexecInNamespace(ctx: Ctx, topo: Topology, outDir: string, scale: ScaleOut): Promise<number> {
  const ns = topo.namespace;
  // This file is its own entry point (see the bottom), so the child needs nothing else of the CLI.
  const args = [
    ...diesWithParent(),
    ...nsExec(ns),
    process.execPath,
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    ...ctx.positionals,
    '--target',
    'lab',
    '--out',
    outDir,
    ...flagList(ctx, 'set').flatMap((s) => ['--set', s]),
    ...(flagString(ctx, 'json') ? ['--json', resolve(flagString(ctx, 'json') as string)] : []),
    ...(flagString(ctx, 'name') ? ['--name', flagString(ctx, 'name') as string] : []),
    ...scaleOutArgv(scale),
  ];
  const { code, signal, pid } = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    pid: number | undefined;
  }>((res, rej) => {
    const child = spawn(args[0] as string, args.slice(1), {
      stdio: 'inherit',
      cwd: REPO_ROOT,
      env: { ...process.env, [IN_LAB_NAMESPACE]: ns },
      detached: true,
    });
    const forward = (sig: NodeJS.Signals) => {
      try {
        child.kill(sig);
      } catch {
        // gone meanwhile: its exit is handled below
      }
    };
    const signals = ['SIGINT', 'SIGTERM'] as const;
    for (const s of signals) process.on(s, forward);
    child.once('error', (e) => rej(new RunError('EXEC_FAILED', `cannot enter ${ns}: ${e.message}`)));
    child.once('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      res({ code, signal, pid: child.pid });
    });
  });
  if (signal === null) return code ?? 1;
  // Killed outright (SIGKILL, the OOM killer): it wrote no summary and could not unregister.
  labRuns(topo); // drops the registrations of runs that are gone, this one among them
  const raw = join(outDir, RAW);
  throw new RunError(
    'RUN_KILLED',
    `the run process (pid ${pid}) was killed by ${signal}; ${
      existsSync(raw) ? `its raw data is in ${raw}` : `it wrote no raw data (${raw} is missing)`
    }; rebuild the summary and report with: stampede report ${outDir}`,
  );
}

export const runScenarioCommand = defineCommand({
  name: 'run',
  positionals: '<scenario>',
  summary: 'run a k6 scenario against the local lab or a real registry',
  usage:
    'stampede run <scenario> --target lab|<registry URL> [--set path=value]... [--json FILE] [--out DIR] [--shards N] [--k6-out KIND=FILE]... [--k6-dashboard] [--threshold METRIC=EXPR]...',
  // A getter: scenarios registered after this module loads (plug-ins, tests) are listed too.
  get help() {
    return runHelp();
  },
  flags: {
    target: { type: 'string', hint: 'lab|URL', description: 'the lab (default) or a registry base URL' },
    set: { type: 'string', multiple: true, hint: 'path=value', description: 'override a scenario parameter' },
    json: { type: 'string', hint: 'FILE', description: 'also write the result envelope to FILE' },
    out: { type: 'string', hint: 'DIR', description: 'run directory (default runs/<scenario>-<time>)' },
    name: {
      type: 'string',
      hint: 'NAME',
      description: 'lab instance name (default: $STAMPEDE_LAB_NAME or "lab")',
    },
    yes: {
      type: 'boolean',
      description:
        'run against a registry URL that is not loopback or the lab without asking (the plan is printed)',
    },
    shards: {
      type: 'string',
      hint: 'N',
      description: 'run the scenario as N k6 processes (execution segments), merged into one result',
    },
    'k6-out': {
      type: 'string',
      multiple: true,
      hint: 'KIND[=FILE]',
      description: "also pass k6's own output: json=FILE, csv=FILE or experimental-prometheus-rw",
    },
    'k6-dashboard': {
      type: 'boolean',
      description: "save k6's web-dashboard HTML export into the run directory (k6-dashboard.html)",
    },
    threshold: {
      type: 'string',
      multiple: true,
      hint: 'METRIC=EXPR',
      description: 'a k6 threshold, e.g. pull_duration=p(99)<5000; a crossed one fails the run (exit 1)',
    },
    'k6-memory-mib': {
      type: 'string',
      hint: 'MiB',
      description:
        "memory budget of all k6 processes together: Go's soft limit (GOMEMLIMIT) of each is its share",
    },
    'trust-host': {
      type: 'string',
      multiple: true,
      hint: 'HOST',
      description: 'send Azure AD or basic credentials to HOST though it is not an ACR host',
    },
  },
  async run(ctx) {
    const [name, ...extra] = ctx.positionals;
    const def = getScenario(name);
    if (extra.length) throw new InputError('<scenario>', 'exactly one scenario', ctx.positionals);
    const scenario = def.name;
    const tgt = target(flagString(ctx, 'target'));
    const swept = def.sweep ? undefined : findListSweep(def.schema, flagList(ctx, 'set'));
    if (swept) return runListSweep(ctx, scenario, swept);
    const params = resolveParams(def.schema, [], flagList(ctx, 'set')) as Record<string, unknown>;
    def.validate?.(params);
    if (def.requiresLab && tgt.kind !== 'lab')
      throw new InputError('--target', `lab (${scenario} drives the lab itself)`, flagString(ctx, 'target'));
    if (def.sweep)
      return def.sweep({
        ctx,
        params,
        target: tgt,
        labName: labSchema.lab.name.check(
          flagString(ctx, 'name') ?? process.env.STAMPEDE_LAB_NAME ?? 'lab',
          '--name',
        ),
        runPoint: (argv, io) => runCommand(runScenarioCommand, argv, io),
      });
    const trustHosts = flagList(ctx, 'trust-host');
    const scale = scaleOut(
      {
        shards: flagString(ctx, 'shards'),
        k6Out: flagList(ctx, 'k6-out'),
        dashboard: ctx.flags['k6-dashboard'] === true,
        threshold: flagList(ctx, 'threshold'),
        memoryMiB: flagString(ctx, 'k6-memory-mib'),
      },
      def,
      params,
    );
    // Made only once the run goes ahead: a missing lab leaves no empty dir.
    const claimOutDir = outDirClaim(scenario, flagString(ctx, 'out'));
    let outDir: string;
    const jsonFlag = flagString(ctx, 'json');
    const jsonFile = jsonFlag === undefined ? undefined : checkOutFile('--json', jsonFlag);
    const labName = labSchema.lab.name.check(
      flagString(ctx, 'name') ?? process.env.STAMPEDE_LAB_NAME ?? 'lab',
      '--name',
    );

    let env: Record<string, string>;
    let base: string;
    let hosts: Record<string, string> | undefined;
    let targetInfo: Record<string, unknown>;
    const client = tgt.kind === 'lab' ? labClient(labSocketPath(labName)) : null;
    let backendsBefore: BackendStats[] = [];
    let labStateDir: string | undefined;
    let labCleanup: (() => Promise<void>) | undefined;
    let labInfo: LabInfo | undefined;
    if (client) {
      const [{ config, topology: topo, netns }, status] = await Promise.all([
        client.config(),
        client.status(),
      ]);
      outDir = claimOutDir();
      if (netns && process.env[IN_LAB_NAMESPACE] !== topo.namespace)
        return reexecInNamespace(ctx, topo, outDir, scale);
      const lab = { config, topology: topo, netns, hosts: status.endpoints.hosts };
      labInfo = lab;
      const prep: LabPrep = def.prepareLab
        ? await def.prepareLab(lab, params, ctx.io)
        : labTarget(lab, params as { registry?: string; endpoint?: 'global' | 'regional' | 'data' });
      for (const note of prep.notes ?? []) ctx.io.err(note);
      for (const m of prep.markers ?? []) appendMarker(outDir, m.kind, m.label, m.atMs);
      labCleanup = prep.cleanup;
      env = prep.env;
      base = prep.base;
      // Names -> addresses for a lab without its own DNS; with it, k6's resolver asks the lab DNS.
      if (!netns) hosts = status.endpoints.hosts;
      // Which region's front each request reached (k6's `ip` tag): the report's DNS-answer chart.
      const frontRegions = Object.fromEntries(status.endpoints.regions.map((r) => [r.frontIp, r.region]));
      targetInfo = { kind: 'lab', ...prep.describe, frontRegions };
      labStateDir = topo.stateDir;
    } else {
      base = (tgt as { url: string }).url;
      // Lab-only parameters, the plan and its yes come before any request and any run dir.
      checkLabOnly(def, flagList(ctx, 'set'));
      def.checkTarget?.(params, base);
      if (needsPlan(base, await runningLabHosts(labName)))
        await confirmPlan(
          { ...runPlan(def, params, base, process.env), shards: scale.shards },
          ctx.flags.yes === true,
          planPrompt(ctx.io),
          (t) => ctx.io.err(t),
        );
      // Before the run dir is made: credentials refused for this host leave nothing behind.
      const creds = await registryCredentials(base, process.env, {}, fetch, {
        trustHosts,
        labHosts: () => runningLabHosts(labName),
      });
      outDir = claimOutDir();
      env = creds.env;
      ctx.io.err(`credentials: ${creds.describe}`);
      targetInfo = { kind: 'url', base, credentials: creds.describe };
    }
    // The script's one JSON value: the validated parameters, where to send requests, and
    // (lab without DNS) the names to pin. Secrets stay in their own variables.
    env = {
      ...env,
      STAMPEDE_PARAMS: JSON.stringify({ ...params, baseUrl: base, ...(hosts ? { hosts } : {}) }),
    };

    const script = await bundleScenario(def.script, outDir).catch(async (e: unknown) => {
      await labCleanup?.();
      throw e;
    });
    const maxDurationS = def.maxDurationS?.(params) ?? 300;
    const bar = progress(ctx.io, `k6 ${scenario}`);
    // Backend peaks are asked for since this instant: the lab outlives runs, and its
    // lifetime peak may be an earlier run's. The byte counters are read after this instant
    // and after the seeding, so every byte the run counts falls inside the peak's windows
    // (read before the seeding, replication reads of the seeded image counted as bytes of a
    // backend whose peak had none).
    const k6StartMs = Date.now();
    if (client) backendsBefore = (await client.status()).backends;
    // From here until the report is written a signal only stops k6 (runK6's own handler): one
    // that lands after k6 has exited, or a second one, must not cut the summary short.
    // Registered with the lab, `lab down` stops this run (one SIGTERM, time to write its
    // files) before it stops the registries, in a namespace or on the host loopback alike.
    const guarded = <T>(fn: () => Promise<T>) => asLabRun(labStateDir, () => holdingSignals(fn));
    return await guarded(async () => {
      const k6Done = new AbortController();
      const beside = def.duringRun?.({
        params,
        base,
        signal: k6Done.signal,
        io: ctx.io,
        outDir,
        ...(client && labInfo ? { lab: { client, info: labInfo } } : {}),
      });
      const shardOpts = shardSetup(scale, outDir);
      const result = await runShards({
        script,
        runDir: outDir,
        env: { ...env, ...shardOpts.env },
        args: shardOpts.args,
        shards: scale.shards,
        perShard: shardOpts.perShard,
        timeoutMs: (maxDurationS + 120) * 1000,
        ...progressOptions(def, params, bar),
        onLine: (line) => {
          if (/level=(error|warning)|pull failed/.test(line)) ctx.io.err(`k6: ${line}`);
        },
      }).finally(() => k6Done.abort());
      await beside?.catch((e: unknown) => ctx.io.err(`${scenario}: beside the run: ${(e as Error).message}`));
      await labCleanup?.().catch((e: unknown) =>
        ctx.io.err(`${scenario}: lab cleanup: ${(e as Error).message}`),
      );
      const extraMetrics: Record<string, unknown> = {};
      let labStatus: LabStatus | undefined;
      if (client) {
        try {
          labStatus = await client.status(k6StartMs);
          const after = labStatus.backends;
          const backends = after.map((b) => {
            const was = backendsBefore.find((x) => x.id === b.id);
            return {
              id: b.id,
              bytes: b.bytes - (was?.bytes ?? 0),
              peakEgressBps: b.peakEgressBps,
              ceilingBps: b.ceilingBps,
              throttles: b.throttled - (was?.throttled ?? 0),
            };
          });
          extraMetrics.backends = backends;
          const hot = backends.filter((b) => b.ceilingBps > 0);
          if (hot.length)
            extraMetrics.hotBackendRatio = Math.max(...hot.map((b) => b.peakEgressBps / b.ceilingBps));
        } catch {
          // the lab went away mid-run: the k6 side of the result still stands
        }
      }
      // k6 is done with raw.ndjson: the markers written beside it join it.
      mergeMarkers(outDir, result.rawPath);
      const incomplete = shardsIncomplete(result.shards, maxDurationS + 120);
      // One streamed pass: the summary folded point by point, only what summarize and the
      // thresholds read held in memory (a 1,000-VU run's raw.ndjson is hundreds of MB).
      const streamed = streamRawFile(result.rawPath, { keep: summaryKeep(def, scale) });
      const records = [...streamed.records, ...streamed.kept];
      const generic = k6Envelope({
        name: scenario,
        params: { ...params, target: targetInfo },
        records: [],
        collected: streamed.k6 ?? { metrics: collectMetrics([]), points: 0 },
        wallMs: result.wallMs,
        extra: extraMetrics,
        ...(incomplete ? { incomplete } : {}),
      });
      const envelope = withOwnSummary(
        def,
        generic,
        { records, params, outDir, rawPath: result.rawPath, ...(labStatus ? { labStatus } : {}) },
        ctx.io,
      );
      const scaled = finishScaleOut(scale, result, envelope, streamed.kept, streamed.k6?.spanMs ?? 0);
      // A failed write (a full disk) costs that file only: raw.ndjson (k6's) stays, the rest and the result line still come out.
      const outputs = new RunOutputs();
      const summary = outputs.attempt(() => writeSummary(outDir, envelope));
      if (jsonFile) outputs.attempt(() => writeJsonAtomic(jsonFile, envelope));
      const verdict = def.verdict(envelope, params);
      bar.done(verdict.line);
      for (const line of scaled.lines) ctx.io.err(line);
      try {
        const { writeReport } = await import('../../../reports/index');
        ctx.io.out(`report: ${await writeReport([outDir], undefined, { charts: scenarioCharts })}`);
      } catch (e) {
        ctx.io.err(`report not written: ${(e as Error).message}`);
      }
      if (summary) ctx.io.out(`summary: ${summary}`);
      if (incomplete) ctx.io.err(`run incomplete: ${incomplete}`);
      return outputs.report((l) => ctx.io.err(l)) || incomplete || scaled.failed ? 1 : verdict.exitCode;
    });
  },
});

/**
 * One run per value of the swept parameter (lib/k6/list-sweep.ts), in order, each into its
 * own directory under the sweep's; then one comparison page. Stops at the first run that
 * is refused or interrupted; the runs finished by then keep their results and the page.
 */
async function runListSweep(ctx: Ctx, scenario: string, sweep: ListSweep): Promise<number> {
  if (flagString(ctx, 'json') !== undefined)
    throw new InputError(
      '--json',
      'no --json with a swept --set (each run writes its own summary.json)',
      flagString(ctx, 'json'),
    );
  const root = outDirClaim(`${scenario}-sweep`, flagString(ctx, 'out'))();
  const dirs: string[] = [];
  let worst = 0;
  for (const [i, value] of sweep.values.entries()) {
    const dir = sweepPointDir(root, i, sweep);
    ctx.io.err(`sweep ${sweep.path} ${i + 1}/${sweep.values.length}: ${value}`);
    const code = await runCommand(
      runScenarioCommand,
      pointArgv(scenario, ctx.flags, sweep, value, dir),
      ctx.io,
    );
    worst = Math.max(worst, code);
    if (!existsSync(join(dir, 'summary.json'))) break;
    dirs.push(dir);
    const incomplete = (JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Envelope).incomplete;
    if (code === 2 || incomplete?.reason === 'interrupted') break;
  }
  if (dirs.length > 1) {
    const page = await writeReport(dirs, join(root, 'compare.html'), {
      warn: (m) => ctx.io.err(m),
      charts: (e) => [...modelCharts(e), ...scenarioCharts(e)],
    });
    ctx.io.out(`compare: ${page}`);
  }
  return worst;
}

/** The k6 metrics whose points the run's summary holds: summarize's and the thresholds'. */
export function summaryKeep(
  def: ScenarioDef,
  scale: Pick<ScaleOut, 'thresholds'>,
): ReadonlySet<string> | true {
  if (def.summarize && !def.summaryMetrics) return true;
  return new Set([...(def.summaryMetrics ?? []), ...thresholdMetrics(scale.thresholds)]);
}

/** Where the plan's question is asked; tests replace it (setPlanPrompt). */
let planPrompt = (io: Ctx['io']): Prompt => stdinPrompt(io.tty);
export function setPlanPrompt(p: Prompt): () => void {
  const was = planPrompt;
  planPrompt = () => p;
  return () => {
    planPrompt = was;
  };
}

/** Names and addresses of the running lab `name` (none when it is not running). */
async function runningLabHosts(name: string): Promise<string[]> {
  try {
    const { hosts } = (await labClient(labSocketPath(name), { timeoutMs: 2000 }).status()).endpoints;
    return [...Object.keys(hosts), ...Object.values(hosts)];
  } catch {
    return [];
  }
}

/** The progress line counts the scenario's own metric (default: k6's iterations, no total). */
function progressOptions(
  def: ScenarioDef,
  params: Record<string, unknown>,
  bar: ReturnType<typeof progress>,
): { progressMetric: string; onProgress(n: number): void } {
  const p = def.progress ?? { metric: 'iterations', unit: 'iterations', total: () => 0 };
  const total = p.total(params);
  return { progressMetric: p.metric, onProgress: (n) => bar.update(n, total, p.unit) };
}

/** The run command's help: every registered scenario, its summary and its parameters. */
function runHelp(): string {
  const all = scenarios();
  const width = Math.max(10, ...all.map((s) => s.name.length));
  return `
Scenarios:${all.map((s) => `\n  ${s.name.padEnd(width)} ${s.summary}`).join('')}

With --target lab (default) the lab is prepared first (cold-pull seeds its image through
the lab's token flow) and k6 runs inside the lab's namespace, with its own resolver;
credentials come from the lab's identity stand-in. With a registry URL, credentials come
from the environment: STAMPEDE_REFRESH_TOKEN (an ACR refresh token),
STAMPEDE_AAD_CLIENT_ID/_SECRET/_TENANT (a service principal, via @azure/identity),
STAMPEDE_AZURE_CREDENTIAL=default (DefaultAzureCredential: az login, managed identity), or
STAMPEDE_USERNAME/_PASSWORD (anonymous if none). Azure AD credentials are exchanged for an
ACR refresh token before k6 starts, and only with an Azure Container Registry over https
(*.azurecr.io, *.azurecr.cn, *.azurecr.us) or the running lab; basic credentials go over
plain http only to loopback. Any other host must be named with --trust-host HOST, else the
run exits 2. k6 never sees the Azure AD secret. stampede sets k6's options itself: K6_*
variables in your environment are not passed on, and k6's REST API (which would serve the
token to anything on this host) is off.

Writes <out>/raw.ndjson (k6 points, streamed), <out>/summary.json (the result envelope,
also to --json FILE), <out>/report.html. Exits 1 if the scenario's verdict fails (cold-pull:
any pull failed) or a k6 threshold is crossed.

--shards N runs N k6 processes (k6 execution segments i/N:(i+1)/N), each streaming
raw-<i>.ndjson, joined into one raw.ndjson, summary and report; summary.json lists the shards
(runtime.shards) and a shard that died is named. --k6-out and --k6-dashboard write k6's own
outputs (one file per shard); thresholds are decided on the merged samples.

A list of values for a parameter that takes one (--set dns.policy=onlyIPv4,onlyIPv6, or
--set vus=10,50,100) sweeps it: one whole run per value, in order, each in
<out>/NN-<path>=<value>/, then <out>/compare.html with the runs side by side.
${all
  .map(
    (s) => `
Parameters of ${s.name} (--set path=value):${s.help ? `\n${s.help.trim()}` : ''}
${helpRows(s.schema).join('\n')}`,
  )
  .join('\n')}

  stampede lab up --detach && stampede run cold-pull --target lab --set vus=50
  STAMPEDE_REFRESH_TOKEN=... stampede run cold-pull --target https://myreg.azurecr.io --set image=app:v1`;
}

/** Runs fn with SIGINT and SIGTERM held (a listener keeps them from killing the process). */
async function holdingSignals<T>(fn: () => Promise<T>): Promise<T> {
  const hold = () => {};
  process.on('SIGINT', hold);
  process.on('SIGTERM', hold);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', hold);
    process.off('SIGTERM', hold);
  }
}

/** For tests and the demo: the envelope a finished run wrote. */
export function readRunSummary(outDir: string): unknown {
  return JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8'));
}

// Entry point for the re-exec inside the lab's namespace: `node --import tsx run.ts <args>`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runCommand(runScenarioCommand, process.argv.slice(2));
}
