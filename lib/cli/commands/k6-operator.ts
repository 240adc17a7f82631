/**
 * `stampede k6-operator manifest <scenario> --parallelism N --target URL`: writes what the
 * grafana k6-operator needs to run a scenario on a Kubernetes cluster, N runner pods with
 * k6 execution segments (lib/k6/operator-manifest.ts), and prints the plan and the
 * commands that apply it and bring the runners' raw outputs back into `stampede report`.
 * Nothing is sent anywhere; no secret enters the file or the output.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isLoopbackHost } from '../../acr/trust';
import { helpRows, resolve as resolveParams } from '../../config/schema';
import { InputError, RunError } from '../../errors';
import { bundleScenario } from '../../k6/bundle';
import {
  applySteps,
  DEFAULT_READER_IMAGE,
  DEFAULT_RUNNER_IMAGE,
  operatorManifest,
  RESULTS_DIR,
  runnerArguments,
} from '../../k6/operator-manifest';
import { checkLabOnly, formatPlan, runPlan } from '../../k6/plan';
import { getScenario, scenarios } from '../../k6/scenarios';
import { checkOutFile } from '../../results/run-dir';
import { defineCommand, flagList, flagString } from '../command';
import { bundleTarget, CREDENTIAL_VARIABLES, repoRelativeSourceMap } from './bundle';

/** A ConfigMap holds at most 1 MiB (etcd's object limit, less the object's own fields). */
const CONFIGMAP_MAX = 1_000_000;

/** DNS-1123 label: what a Kubernetes name may be (a TestRun's name becomes its pods' prefix). */
function k8sName(flag: string, raw: string | undefined, max: number): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.length > max || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(raw))
    throw new InputError(
      flag,
      `a Kubernetes name: a-z, 0-9 and '-', starting and ending alphanumeric, <= ${max} characters`,
      raw,
    );
  return raw;
}

function parallelismOf(raw: string | undefined): number {
  if (raw === undefined)
    throw new InputError('--parallelism', 'the number of k6 runner pods, an integer 1..1000', undefined);
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 1000)
    throw new InputError('--parallelism', 'the number of k6 runner pods, an integer 1..1000', raw);
  return Number(raw);
}

/** A registry URL the cluster's pods can reach: a pod's loopback is the pod itself. */
function clusterTarget(raw: string | undefined): string {
  const expected = 'a registry URL http(s)://host[:port] the cluster can reach (not lab, not loopback)';
  if (raw === undefined) throw new InputError('--target', expected, undefined);
  const base = bundleTarget(raw);
  const host = new URL(base).hostname.replace(/^\[|\]$/g, '');
  if (isLoopbackHost(host)) throw new InputError('--target', expected, raw);
  return base;
}

const manifestCommand = defineCommand({
  name: 'manifest',
  positionals: '<scenario>',
  summary: 'write a k6-operator TestRun (with its script ConfigMap) that runs a scenario on N pods',
  usage:
    'stampede k6-operator manifest <scenario> --parallelism N --target URL [--set path=value]... [--secret-name NAME] [--name NAME] [--namespace NS] [--image IMAGE] [--results-claim PVC] [-o FILE|-]',
  get help() {
    return manifestHelp();
  },
  flags: {
    parallelism: {
      type: 'string',
      hint: 'N',
      description: 'k6 runner pods; the operator gives each an execution segment',
    },
    target: {
      type: 'string',
      hint: 'URL',
      description: 'registry base URL the pods pull from (in STAMPEDE_PARAMS)',
    },
    set: { type: 'string', multiple: true, hint: 'path=value', description: 'override a scenario parameter' },
    'secret-name': {
      type: 'string',
      hint: 'NAME',
      description: 'Kubernetes Secret holding the credential variables (referenced by name, never copied)',
    },
    name: {
      type: 'string',
      hint: 'NAME',
      description: 'TestRun name, prefix of its objects (default stampede-<scenario>)',
    },
    namespace: { type: 'string', hint: 'NS', description: "namespace of every object (default: kubectl's)" },
    image: { type: 'string', hint: 'IMAGE', description: `runner image (default ${DEFAULT_RUNNER_IMAGE})` },
    'reader-image': {
      type: 'string',
      hint: 'IMAGE',
      description: `image of the pod that holds the outputs for kubectl cp (default ${DEFAULT_READER_IMAGE})`,
    },
    'results-claim': {
      type: 'string',
      hint: 'PVC',
      description:
        'an existing ReadWriteMany PersistentVolumeClaim for the outputs (default: the file makes <name>-results)',
    },
    'results-size': {
      type: 'string',
      hint: 'QTY',
      description: 'size of the claim the file makes (default 1Gi)',
    },
    output: {
      type: 'string',
      short: 'o',
      hint: 'FILE',
      description: 'where to write (default <name>.k6-operator.json; - for stdout)',
    },
  },
  async run(ctx) {
    const [scenario, ...extra] = ctx.positionals;
    const def = getScenario(scenario);
    if (extra.length) throw new InputError('<scenario>', 'exactly one scenario', ctx.positionals);
    // Everything is checked before esbuild runs: bad input leaves no file behind.
    const sets = flagList(ctx, 'set');
    checkLabOnly(def, sets);
    const params = resolveParams(def.schema, [], sets) as Record<string, unknown>;
    const parallelism = parallelismOf(flagString(ctx, 'parallelism'));
    // The operator splits the VUs between runners: one with no VU would do nothing.
    if (typeof params.vus === 'number' && parallelism > params.vus)
      throw new InputError(
        '--parallelism',
        `at most vus (${params.vus}): each runner needs a VU`,
        parallelism,
      );
    const baseUrl = clusterTarget(flagString(ctx, 'target'));
    // 52: the operator names pods <name>-<index>-<5 random> and <name>-initializer-<5>.
    const name = k8sName('--name', flagString(ctx, 'name'), 52) ?? `stampede-${def.name}`;
    const namespace = k8sName('--namespace', flagString(ctx, 'namespace'), 63);
    const secretName = k8sName('--secret-name', flagString(ctx, 'secret-name'), 253);
    const resultsClaim = k8sName('--results-claim', flagString(ctx, 'results-claim'), 253);
    const resultsSize = flagString(ctx, 'results-size') ?? '1Gi';
    if (!/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/.test(resultsSize))
      throw new InputError('--results-size', 'a Kubernetes quantity such as 500Mi or 2Gi', resultsSize);
    if (resultsClaim !== undefined && flagString(ctx, 'results-size') !== undefined)
      throw new InputError(
        '--results-size',
        'only without --results-claim (an existing claim has its size)',
        resultsSize,
      );
    const image = imageOf('--image', flagString(ctx, 'image')) ?? DEFAULT_RUNNER_IMAGE;
    const readerImage = imageOf('--reader-image', flagString(ctx, 'reader-image')) ?? DEFAULT_READER_IMAGE;
    const outFlag = flagString(ctx, 'output') ?? `${name}.k6-operator.json`;
    const outFile = outFlag === '-' ? undefined : checkOutFile('--output', outFlag);

    const tmp = mkdtempSync(join(tmpdir(), 'stampede-operator-'));
    let script: string;
    try {
      script = repoRelativeSourceMap(readFileSync(await bundleScenario(def.script, tmp), 'utf8'), tmp);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    if (Buffer.byteLength(script) > CONFIGMAP_MAX)
      throw new RunError(
        'SCRIPT_TOO_LARGE',
        `the bundled script is ${Buffer.byteLength(script)} bytes: a ConfigMap holds at most ${CONFIGMAP_MAX}`,
      );

    const manifest = operatorManifest({
      scenario: def.name,
      script,
      params: { ...params, baseUrl },
      parallelism,
      name,
      ...(namespace !== undefined && { namespace }),
      image,
      readerImage,
      ...(secretName !== undefined && { secretName }),
      ...(resultsClaim !== undefined && { resultsClaim }),
      resultsSize,
    });
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    if (outFile) writeFileSync(outFile, text);
    else ctx.io.out(text.trimEnd());

    // The plan of `stampede run` against a registry, for all runners together.
    const plan = runPlan(def, params, baseUrl, {});
    plan.credentials = secretName
      ? `from Secret ${secretName} in the runners' environment (optional keys: ${CREDENTIAL_VARIABLES.join(', ')}); anonymous if it has none`
      : 'anonymous (no --secret-name)';
    const shown = outFile ? relative(process.cwd(), outFile) || outFile : `${name}.k6-operator.json`;
    ctx.io.err(
      [
        outFile ? `wrote ${shown} (${text.length} bytes)` : `manifest written to stdout; save it as ${shown}`,
        `  ConfigMap ${name}-script, ${resultsClaim ? '' : `PersistentVolumeClaim ${name}-results (ReadWriteMany, ${resultsSize}), `}TestRun ${name} (parallelism ${parallelism}, image ${image}), Pod ${name}-results (reader)`,
        `  runner arguments: ${runnerArguments()}  (each runner writes ${RESULTS_DIR}/<pod name>.json)`,
        '',
        formatPlan(plan).replace(
          /^plan: .*$/m,
          `plan: ${def.name} against ${plan.host} (${baseUrl}), split over ${parallelism} runner pods`,
        ),
        '',
        'run it and bring the outputs back:',
        ...applySteps(
          { name, ...(namespace && { namespace }), ...(secretName && { secretName }) },
          shown,
        ).map((l) => `  ${l}`),
        '',
        "note: the operator starts each runner's k6 REST API on :6565 (it starts them through it); setup()'s",
        '  registry token is readable there while the test runs: keep the namespace behind a NetworkPolicy.',
      ].join('\n'),
    );
    return 0;
  },
});

function imageOf(flag: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(raw))
    throw new InputError(flag, 'a container image reference such as grafana/k6:1.8.1', raw);
  return raw;
}

function manifestHelp(): string {
  const all = scenarios();
  return `
Writes one JSON file (a Kubernetes List; kubectl applies it, JSON being YAML) for the grafana
k6-operator (TestRun ${'k6.io/v1alpha1'}, checked against the CRD of operator v1.6.0):
  ConfigMap <name>-script    the bundled script (what \`stampede bundle\` writes)
  PersistentVolumeClaim      <name>-results, ReadWriteMany (or yours: --results-claim)
  TestRun <name>             --parallelism runner pods, each given its execution segment by the
                             operator, so the VUs and iterations add up to the scenario's;
                             STAMPEDE_PARAMS (the validated --set values and --target) in env;
                             arguments: ${runnerArguments()}
  Pod <name>-results         mounts the claim read-only, for kubectl cp after the run
Credentials are never in the file: with --secret-name NAME the runners read
${CREDENTIAL_VARIABLES.join(', ')}
from that Secret (secretKeyRef, each optional). The target must be reachable from the pods:
the lab and loopback addresses are refused. Lab-only parameters are refused. The plan (VUs,
requests, endpoints) is printed as for \`stampede run\` against a registry; nothing is sent.

Collecting: each runner writes k6's JSON output to ${RESULTS_DIR}/<pod>.json on the claim. Once the
TestRun is finished, copy them out through the reader pod, concatenate them into a run
directory's raw.ndjson and \`stampede report\` it (the pull quantiles come from the merged
samples; the page notes it was rebuilt from raw.ndjson):
  kubectl cp <name>-results:${RESULTS_DIR} ./results && mkdir runs/op && cat results/*.json > runs/op/raw.ndjson
  stampede report runs/op

Scenarios: ${all.map((s) => s.name).join(', ')}
${all.map((s) => `\nParameters of ${s.name} (--set path=value):\n${helpRows(s.schema).join('\n')}`).join('\n')}

  stampede k6-operator manifest cold-pull --parallelism 4 --target https://myreg.azurecr.io \\
    --set image=app:v1 --set vus=400 --secret-name acr-pull -o cold-pull.k6-operator.json
  kubectl create secret generic acr-pull --from-literal=STAMPEDE_REFRESH_TOKEN=...
  kubectl apply -f cold-pull.k6-operator.json`;
}

export const k6OperatorCommand = defineCommand({
  name: 'k6-operator',
  summary: 'run a scenario on Kubernetes with the grafana k6-operator (writes the manifest)',
  subCommands: { manifest: manifestCommand },
});
