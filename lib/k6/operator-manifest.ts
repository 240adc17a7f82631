/**
 * The objects of a k6-operator run of one scenario (grafana/k6-operator, TestRun k6.io/v1alpha1,
 * checked against the CRD of release v1.6.0 in test/fixtures/k6-operator): pure data in, plain
 * objects out, written as one JSON `List` (kubectl applies it; JSON is YAML 1.2).
 *
 *  - ConfigMap <name>-script: the bundled script (the same file `stampede bundle` writes).
 *  - PersistentVolumeClaim <name>-results (unless the user names an existing claim): where
 *    every runner writes k6's JSON output, /results/<pod name>.json (one file per runner:
 *    the pod name comes in through the downward API and kubelet's $(POD_NAME) expansion).
 *  - TestRun <name>: parallelism runners (the operator hands each its execution segment), the
 *    validated parameters in STAMPEDE_PARAMS (plain env: they hold no secret), credentials
 *    only as secretKeyRef to a Secret by name (optional keys: the Secret holds the ones in use).
 *    The initializer (k6 archive + inspect) gets STAMPEDE_PARAMS alone: the operator passes
 *    its env to `k6 archive -e`, which would copy secrets into the archive.
 *  - Pod <name>-results: a reader that mounts the claim, for `kubectl cp` once the run is done.
 */
import { CREDENTIAL_VARIABLES } from '../cli/commands/bundle';

export const TESTRUN_API = 'k6.io/v1alpha1';
/** The k6 the project builds and tests with (scripts/setup.mjs K6_VERSION), as grafana's image. */
export const DEFAULT_RUNNER_IMAGE = 'grafana/k6:1.8.1';
export const DEFAULT_READER_IMAGE = 'busybox:1.36';
/** Where each runner writes its output, in its own container and the reader's. */
export const RESULTS_DIR = '/results';
/** The grafana/k6 image runs as uid/gid 12345: fsGroup lets it write to the claim. */
const K6_GID = 12345;

export interface ManifestInput {
  scenario: string;
  /** The bundled k6 script. */
  script: string;
  /** Validated parameters with baseUrl: STAMPEDE_PARAMS. */
  params: Record<string, unknown>;
  parallelism: number;
  name: string;
  namespace?: string;
  image: string;
  readerImage: string;
  secretName?: string;
  /** An existing PersistentVolumeClaim; without it the list makes <name>-results. */
  resultsClaim?: string;
  /** Size of the claim the list makes, a Kubernetes quantity (e.g. 1Gi). */
  resultsSize: string;
}

type Obj = Record<string, unknown>;

export const scriptFile = (scenario: string) => `${scenario}.bundle.js`;
export const outputFile = '$(POD_NAME).json';

/** What the runners pass k6 (space-separated: the operator splits `arguments` on whitespace). */
export function runnerArguments(): string {
  return `--no-usage-report --out json=${RESULTS_DIR}/${outputFile}`;
}

export function operatorManifest(m: ManifestInput): Obj {
  const meta = (name: string): Obj => ({
    name,
    ...(m.namespace !== undefined && { namespace: m.namespace }),
    labels: { 'app.kubernetes.io/managed-by': 'stampede', 'stampede.dev/scenario': m.scenario },
  });
  const claim = m.resultsClaim ?? `${m.name}-results`;
  const volume = { name: 'stampede-results', persistentVolumeClaim: { claimName: claim } };
  const params = { name: 'STAMPEDE_PARAMS', value: JSON.stringify(m.params) };
  const secretEnv = m.secretName
    ? CREDENTIAL_VARIABLES.map((v) => ({
        name: v,
        valueFrom: { secretKeyRef: { name: m.secretName, key: v, optional: true } },
      }))
    : [];
  const items: Obj[] = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(`${m.name}-script`),
      data: { [scriptFile(m.scenario)]: m.script },
    },
  ];
  if (m.resultsClaim === undefined)
    items.push({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta(claim),
      // Every runner pod mounts it at once, possibly on different nodes.
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: m.resultsSize } } },
    });
  items.push({
    apiVersion: TESTRUN_API,
    kind: 'TestRun',
    metadata: meta(m.name),
    spec: {
      parallelism: m.parallelism,
      script: { configMap: { name: `${m.name}-script`, file: scriptFile(m.scenario) } },
      arguments: runnerArguments(),
      initializer: { image: m.image, env: [params] },
      runner: {
        image: m.image,
        env: [
          params,
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ...secretEnv,
        ],
        securityContext: { fsGroup: K6_GID },
        volumes: [volume],
        volumeMounts: [{ name: 'stampede-results', mountPath: RESULTS_DIR }],
      },
    },
  });
  items.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(`${m.name}-results`),
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'reader',
          image: m.readerImage,
          // Lives a day: long enough to copy the outputs out, not forever.
          command: ['sleep', '86400'],
          volumeMounts: [{ name: 'stampede-results', mountPath: RESULTS_DIR, readOnly: true }],
        },
      ],
      volumes: [volume],
    },
  });
  return { apiVersion: 'v1', kind: 'List', items };
}

/** The commands that run it and bring the outputs back into `stampede report`. */
export function applySteps(
  m: Pick<ManifestInput, 'name' | 'namespace' | 'secretName'>,
  file: string,
): string[] {
  const ns = m.namespace ? ` -n ${m.namespace}` : '';
  return [
    ...(m.secretName
      ? [
          `kubectl create secret generic ${m.secretName}${ns} --from-literal=STAMPEDE_REFRESH_TOKEN=...   # or _AAD_CLIENT_ID/_SECRET/_TENANT, _USERNAME/_PASSWORD`,
        ]
      : []),
    `kubectl apply${ns} -f ${file}`,
    `kubectl wait${ns} testrun/${m.name} --for=jsonpath='{.status.stage}'=finished --timeout=1h`,
    `kubectl cp${ns} ${m.name}-results:${RESULTS_DIR} ./${m.name}-results   # one <runner pod>.json per runner`,
    `mkdir -p runs/${m.name} && cat ./${m.name}-results/*.json > runs/${m.name}/raw.ndjson`,
    `stampede report runs/${m.name}`,
    `kubectl delete${ns} -f ${file}   # the claim and its outputs too`,
  ];
}
