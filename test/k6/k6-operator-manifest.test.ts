/**
 * `stampede k6-operator manifest`: the TestRun it writes is valid against the k6-operator's
 * own CRD schema (release v1.6.0, test/fixtures/k6-operator), the script ConfigMap holds the
 * same bundle `stampede bundle` writes, secrets stay out of the file and the output, and bad
 * input exits 2 naming the flag and writing nothing. (Running the manifest's script and
 * arguments on a real k6 and reading its outputs back: test/e2e/k6-operator-collect.test.ts.)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineCommand } from '../../lib/cli/command';
import { CREDENTIAL_VARIABLES } from '../../lib/cli/commands/bundle';
import { k6OperatorCommand } from '../../lib/cli/commands/k6-operator';
import { REPO_ROOT } from '../../lib/k6/bundle';
import { type Captured, capture } from '../helpers/cli';
import { type OpenApiSchema, unsupportedKeywords, validate } from '../helpers/openapi-schema';

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: Array<{ name: string; served: boolean; schema: { openAPIV3Schema: OpenApiSchema } }>;
  };
}
const crd = JSON.parse(
  readFileSync(join(REPO_ROOT, 'test/fixtures/k6-operator/k6.io_testruns.v1.6.0.json'), 'utf8'),
) as Crd;
const v1alpha1 = crd.spec.versions.find((v) => v.name === 'v1alpha1');
const schema = v1alpha1?.schema.openAPIV3Schema as OpenApiSchema;

const root = defineCommand({
  name: 'stampede',
  summary: 'test root',
  subCommands: { 'k6-operator': k6OperatorCommand },
});
const cli = (...args: string[]): Promise<Captured> => capture(root, ['k6-operator', 'manifest', ...args]);
const dir = mkdtempSync(join(tmpdir(), 'stampede-operator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Obj = Record<string, unknown> & { kind: string; metadata: { name: string } };
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}
type Claim = { persistentVolumeClaim: { claimName: string } };
interface TestRunSpec {
  parallelism: number;
  script: { configMap: { name: string; file: string } };
  arguments: string;
  initializer: { env: EnvVar[] };
  runner: { image: string; env: EnvVar[]; volumes: Claim[] };
}
const items = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { items: Obj[] }).items;
const testRun = (file: string) =>
  items(file).find((i) => i.kind === 'TestRun') as Obj & { spec: TestRunSpec };

describe('the schema validator (so a pass means something)', () => {
  it('implements every keyword the CRD uses', () => {
    expect(unsupportedKeywords(schema)).toEqual([]);
  });
  it('reports a missing required field, a wrong type, an unknown field and a bad int-or-string', () => {
    const base = {
      apiVersion: 'k6.io/v1alpha1',
      kind: 'TestRun',
      metadata: {},
      spec: { parallelism: 1, script: { configMap: { name: 'x' } } },
    };
    expect(validate(schema, base)).toEqual([]);
    expect(validate(schema, { ...base, spec: { script: base.spec.script } })).toEqual([
      'spec.parallelism: required',
    ]);
    expect(validate(schema, { ...base, spec: { ...base.spec, parallelism: '4' } })).toEqual([
      'spec.parallelism: expected integer, got string',
    ]);
    expect(validate(schema, { ...base, spec: { ...base.spec, paralelism: 4 } })).toEqual([
      'spec.paralelism: unknown field',
    ]);
    expect(
      validate(schema, { ...base, spec: { ...base.spec, runner: { resources: { limits: { cpu: true } } } } }),
    ).toEqual(['spec.runner.resources.limits.cpu: expected an integer or a string, got boolean']);
    expect(validate(schema, { ...base, spec: { ...base.spec, runner: { env: [{ value: 'v' }] } } })).toEqual([
      'spec.runner.env[0].name: required',
    ]);
  });
});

describe('stampede k6-operator manifest', () => {
  it('writes a List whose TestRun is valid against the k6-operator v1.6.0 CRD; secrets only by reference', async () => {
    const file = join(dir, 'cp.json');
    const secret = 'REFRESH-never-in-the-file';
    process.env.STAMPEDE_REFRESH_TOKEN = secret;
    process.env.STAMPEDE_PASSWORD = secret;
    let r: Captured;
    try {
      r = await cli(
        'cold-pull',
        '--parallelism',
        '4',
        '--target',
        'https://myreg.azurecr.io',
        '--set',
        'vus=40',
        '--set',
        'image=app:v1',
        '--secret-name',
        'acr-pull',
        '--namespace',
        'load',
        '-o',
        file,
      );
    } finally {
      delete process.env.STAMPEDE_REFRESH_TOKEN;
      delete process.env.STAMPEDE_PASSWORD;
    }
    expect(r.code, r.err).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(`${text}${r.out}${r.err}`).not.toContain(secret);
    const all = items(file);
    expect(all.map((i) => i.kind)).toEqual(['ConfigMap', 'PersistentVolumeClaim', 'TestRun', 'Pod']);
    for (const i of all) expect((i.metadata as { namespace?: string }).namespace).toBe('load');

    const tr = testRun(file);
    expect(tr.apiVersion).toBe(`${crd.spec.group}/${v1alpha1?.name}`);
    expect(tr.kind).toBe(crd.spec.names.kind);
    expect(v1alpha1?.served).toBe(true);
    expect(validate(schema, tr)).toEqual([]);

    expect(tr.spec.parallelism).toBe(4);
    // The script is in the ConfigMap the TestRun names, under the file it names.
    const cm = all.find((i) => i.kind === 'ConfigMap') as Obj & { data: Record<string, string> };
    expect(cm.metadata.name).toBe(tr.spec.script.configMap.name);
    const script = cm.data[tr.spec.script.configMap.file] as string;
    expect(script).toMatch(/^import .* from "k6\/http";$/m);
    expect(script).not.toContain('myreg');
    // Parameters in plain env (validated, with the target); credentials only as secretKeyRef.
    const env = tr.spec.runner.env;
    const params = JSON.parse(env.find((e) => e.name === 'STAMPEDE_PARAMS')?.value as string);
    expect(params).toMatchObject({
      vus: 40,
      iterations: 1,
      image: 'app:v1',
      baseUrl: 'https://myreg.azurecr.io',
    });
    const refs = env.filter((e) => e.valueFrom?.secretKeyRef);
    expect(refs.map((e) => e.name)).toEqual([...CREDENTIAL_VARIABLES]);
    for (const e of refs) {
      expect(e.value).toBeUndefined();
      expect(e.valueFrom?.secretKeyRef).toEqual({ name: 'acr-pull', key: e.name, optional: true });
    }
    // The initializer (k6 archive -e ...) never sees a credential.
    expect(tr.spec.initializer.env.map((e) => e.name)).toEqual(['STAMPEDE_PARAMS']);
    // Each runner writes its own output file on the claim the reader pod mounts.
    expect(tr.spec.arguments).toBe('--no-usage-report --out json=/results/$(POD_NAME).json');
    expect(env.find((e) => e.name === 'POD_NAME')?.valueFrom).toEqual({
      fieldRef: { fieldPath: 'metadata.name' },
    });
    const claim = tr.spec.runner.volumes[0]?.persistentVolumeClaim.claimName;
    const pvc = all.find((i) => i.kind === 'PersistentVolumeClaim') as Obj;
    expect(pvc.metadata.name).toBe(claim);
    const reader = all.find((i) => i.kind === 'Pod') as Obj & { spec: { volumes: Claim[] } };
    expect(reader.spec.volumes[0]?.persistentVolumeClaim.claimName).toBe(claim);
    expect(tr.spec.runner.image).toBe('grafana/k6:1.8.1');

    // The plan and the way back into stampede report.
    expect(r.err).toMatch(/plan: cold-pull against myreg\.azurecr\.io .* split over 4 runner pods/);
    expect(r.err).toMatch(/VUs: +40/);
    expect(r.err).toMatch(/credentials: +from Secret acr-pull/);
    expect(r.err).toMatch(/kubectl apply -n load -f .*cp\.json/);
    expect(r.err).toMatch(
      /cat \.\/stampede-cold-pull-results\/\*\.json > runs\/stampede-cold-pull\/raw\.ndjson/,
    );
    expect(r.err).toMatch(/stampede report runs\/stampede-cold-pull/);
  });

  it('--results-claim uses an existing claim (no PVC in the list); -o - writes to stdout', async () => {
    const r = await cli(
      'cold-pull',
      '--parallelism',
      '2',
      '--target',
      'https://r.example',
      '--results-claim',
      'shared',
      '--image',
      'my/k6:v1',
      '--name',
      'nightly',
      '-o',
      '-',
    );
    expect(r.code, r.err).toBe(0);
    const list = JSON.parse(r.out) as { items: Obj[] };
    expect(list.items.map((i) => i.kind)).toEqual(['ConfigMap', 'TestRun', 'Pod']);
    const tr = list.items[1] as Obj & { spec: TestRunSpec };
    expect(validate(schema, tr)).toEqual([]);
    expect(tr.metadata.name).toBe('nightly');
    expect(tr.spec.runner.volumes[0]?.persistentVolumeClaim.claimName).toBe('shared');
    expect(tr.spec.runner.image).toBe('my/k6:v1');
    expect(tr.spec.runner.env.some((e) => e.valueFrom?.secretKeyRef)).toBe(false);
    expect(r.err).toMatch(/credentials: +anonymous/);
  });

  const bad: Array<[string, string[], RegExp]> = [
    [
      'no --parallelism',
      ['cold-pull', '--target', 'https://r.example'],
      /--parallelism: expected the number of k6 runner pods/,
    ],
    [
      '--parallelism 0',
      ['cold-pull', '--parallelism', '0', '--target', 'https://r.example'],
      /--parallelism: .*received "0"/,
    ],
    [
      '--parallelism above vus',
      ['cold-pull', '--parallelism', '11', '--target', 'https://r.example'],
      /--parallelism: expected at most vus \(10\)/,
    ],
    [
      'no --target',
      ['cold-pull', '--parallelism', '2'],
      /--target: expected a registry URL .*not lab, not loopback/,
    ],
    ['--target lab', ['cold-pull', '--parallelism', '2', '--target', 'lab'], /--target: .*received "lab"/],
    [
      '--target loopback',
      ['cold-pull', '--parallelism', '2', '--target', 'http://127.0.0.1:5000'],
      /--target: .*not loopback.*127\.0\.0\.1/,
    ],
    [
      'a lab-only --set',
      ['cold-pull', '--parallelism', '2', '--target', 'https://r.example', '--set', 'seed=false'],
      /seed: expected no lab-only parameter/,
    ],
    [
      'bad --secret-name',
      ['cold-pull', '--parallelism', '2', '--target', 'https://r.example', '--secret-name', 'My_Secret'],
      /--secret-name: expected a Kubernetes name/,
    ],
    [
      'bad --name',
      ['cold-pull', '--parallelism', '2', '--target', 'https://r.example', '--name', 'x'.repeat(53)],
      /--name: expected a Kubernetes name.*<= 52/,
    ],
    [
      'bad --results-size',
      ['cold-pull', '--parallelism', '2', '--target', 'https://r.example', '--results-size', 'lots'],
      /--results-size: expected a Kubernetes quantity/,
    ],
    [
      'unknown scenario',
      ['nope', '--parallelism', '2', '--target', 'https://r.example'],
      /<scenario>: expected one of cold-pull/,
    ],
  ];
  for (const [what, args, message] of bad)
    it(`bad input: ${what} exits 2 and writes nothing`, async () => {
      const before = readdirSync(dir);
      const r = await cli(...args, '-o', join(dir, 'bad.json'));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(readdirSync(dir)).toEqual(before);
    });

  it('--help teaches: the objects, secrets by reference, how to collect the outputs, an example', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const s of [
      'ConfigMap',
      'TestRun',
      'PersistentVolumeClaim',
      '--secret-name',
      'kubectl cp',
      'stampede report',
      'raw.ndjson',
      'Parameters of cold-pull',
    ])
      expect(r.out).toContain(s);
  });
});
