/**
 * The k6-operator path end to end, minus Kubernetes: `stampede k6-operator manifest` writes
 * the List; the script is taken from its ConfigMap and the environment and arguments from
 * its TestRun, and two real k6 processes run them the way the operator's two runner pods
 * would (its execution segments 0:1/2 and 1/2:1, STAMPEDE_PARAMS and POD_NAME in the
 * environment, $(POD_NAME) expanded in the arguments as kubelet does, /results on a shared
 * directory) against a real docker-registry on loopback. Only the target differs from the
 * file: a pod would reach the registry by its cluster address, here it is 127.0.0.1. The
 * runners' outputs are then concatenated into a run directory's raw.ndjson, as the printed
 * steps say, and `stampede report` reads them back: every pull of both segments counted.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineCommand } from '../../lib/cli/command';
import { k6OperatorCommand } from '../../lib/cli/commands/k6-operator';
import { reportCommand } from '../../lib/cli/commands/report';
import { freeLoopbackPort } from '../../lib/k6/k6-out';
import { K6_BIN } from '../../lib/k6/run';
import { type RegistryProcess, startRegistry } from '../../lib/lab/registry-process';
import { pushImage } from '../../lib/oci/push';
import { readNdjsonFile } from '../../lib/results/ndjson';
import { RAW, readSummary } from '../../lib/results/run-dir';
import { loadRun } from '../../reports/load-run';
import { capture } from '../helpers/cli';
import { K6, prerequisites, REGISTRY } from '../helpers/prereq';

const canRun = prerequisites('k6-operator manifest run by local k6 runners', [K6, REGISTRY]);

const root = defineCommand({
  name: 'stampede',
  summary: 'test root',
  subCommands: { 'k6-operator': k6OperatorCommand, report: reportCommand },
});

let work: string;
let registry: RegistryProcess;
let imageBytes: number;

beforeAll(async () => {
  if (!canRun) return;
  work = mkdtempSync(join(tmpdir(), 'stampede-operator-e2e-'));
  registry = await startRegistry({
    name: 'operatore2e',
    ip: '127.0.0.1',
    port: await freeLoopbackPort(),
    dir: join(work, 'reg'),
  });
  const pushed = await pushImage(registry.url, 'op/app', 'v1', [
    Buffer.alloc(70_000, 5),
    Buffer.alloc(120_000, 6),
  ]);
  imageBytes = [pushed.config, ...pushed.layers].reduce((a, b) => a + b.size, 0);
}, 60_000);

afterAll(async () => {
  if (!canRun) return;
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
});

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: unknown };
}
interface Item {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    parallelism: number;
    arguments: string;
    script: { configMap: { name: string; file: string } };
    runner: { env: EnvVar[]; volumeMounts: Array<{ mountPath: string }> };
  };
}

/** k6 with only the environment a runner pod would have; bounded in time. */
function k6(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((res, rej) => {
    const child = spawn(K6_BIN, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.once('error', rej);
    child.once('exit', (code) => {
      clearTimeout(timer);
      res({ code, output });
    });
  });
}

describe.runIf(canRun)(
  'k6-operator manifest: its script and arguments on two k6 runners, read back by stampede report',
  () => {
    it('two segments pull 2 + 2 images; the concatenated outputs report 4 pulls and every byte', async () => {
      const file = join(work, 'op.json');
      const made = await capture(root, [
        'k6-operator',
        'manifest',
        'cold-pull',
        '--parallelism',
        '2',
        '--target',
        'https://registry.example.test',
        '--set',
        'vus=4',
        '--set',
        'image=op/app:v1',
        '--set',
        'maxDurationS=60',
        '--name',
        'e2e',
        '-o',
        file,
      ]);
      expect(made.code, made.err).toBe(0);
      const items = (JSON.parse(readFileSync(file, 'utf8')) as { items: Item[] }).items;
      const tr = items.find((i) => i.kind === 'TestRun') as Item & { spec: NonNullable<Item['spec']> };
      const cm = items.find(
        (i) => i.kind === 'ConfigMap' && i.metadata.name === tr.spec.script.configMap.name,
      ) as Item;
      // The operator mounts the ConfigMap at /test; here, a directory of its own.
      const testDir = join(work, 'test');
      mkdirSync(testDir);
      writeFileSync(
        join(testDir, tr.spec.script.configMap.file),
        cm.data?.[tr.spec.script.configMap.file] as string,
      );
      const mount = tr.spec.runner.volumeMounts[0]?.mountPath as string;
      const results = join(work, 'results');
      mkdirSync(results);

      const plain = Object.fromEntries(
        tr.spec.runner.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]),
      );
      const params = JSON.parse(plain.STAMPEDE_PARAMS as string) as Record<string, unknown>;
      expect(params.baseUrl).toBe('https://registry.example.test');
      plain.STAMPEDE_PARAMS = JSON.stringify({ ...params, baseUrl: registry.url });
      expect(tr.spec.runner.env.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe(
        'metadata.name',
      );

      const n = tr.spec.parallelism;
      const sequence = ['0', ...Array.from({ length: n - 1 }, (_, i) => `${i + 1}/${n}`), '1'];
      const runs = Array.from({ length: n }, (_, i) => {
        const index = i + 1;
        const pod = `e2e-${index}-abcde`;
        // kubelet expands $(POD_NAME) from the container's env; the claim is mounted at `mount`.
        const argv = tr.spec.arguments
          .split(/\s+/)
          .map((a) => a.replaceAll('$(POD_NAME)', pod).replace(`=${mount}/`, `=${results}/`));
        return k6(
          [
            'run',
            '--quiet',
            `--execution-segment=${sequence[index - 1]}:${sequence[index]}`,
            `--execution-segment-sequence=${sequence.join(',')}`,
            ...argv,
            join(testDir, tr.spec.script.configMap.file),
            '--address=', // the operator's --address=0.0.0.0:6565: two local runners would share the port
            '--tag',
            `instance_id=${index}`,
            '--tag',
            `testrun_name=${tr.metadata.name}`,
          ],
          { ...plain, POD_NAME: pod },
          work,
        );
      });
      for (const r of await Promise.all(runs)) expect(r.code, r.output).toBe(0);
      const outputs = readdirSync(results).sort();
      expect(outputs).toEqual(['e2e-1-abcde.json', 'e2e-2-abcde.json']);

      // The printed steps: cat results/*.json > runs/<name>/raw.ndjson && stampede report runs/<name>.
      const runDir = join(work, 'runs', 'e2e');
      mkdirSync(runDir, { recursive: true });
      writeFileSync(
        join(runDir, 'raw.ndjson'),
        outputs.map((f) => readFileSync(join(results, f), 'utf8')).join(''),
      );
      const rep = await capture(root, ['report', runDir]);
      expect(rep.code, rep.err).toBe(0);
      expect(existsSync(join(runDir, 'report.html'))).toBe(true);
      const loaded = loadRun(runDir);
      const m = loaded.envelope.metrics as unknown as {
        pulls: { ok: number; failed: number };
        bytes: number;
        pullS: { p50: number };
      };
      expect(loaded.envelope.kind).toBe('k6');
      expect(loaded.envelope.name).toBe('cold-pull');
      expect(m.pulls).toEqual({ ok: 4, failed: 0 });
      expect(m.bytes).toBe(4 * imageBytes);
      expect(m.pullS.p50).toBeGreaterThan(0);
      // Both runners' points are in it, each pulling its segment's half of the VUs.
      const byInstance = new Map<string, number>();
      // The page folds k6 points into bins: count them in the concatenated raw stream itself.
      for (const r of readNdjsonFile(join(runDir, RAW)).records as Array<{
        type?: string;
        metric?: string;
        data?: { tags?: Record<string, string> };
      }>)
        if (r.type === 'Point' && r.metric === 'pull_duration') {
          const id = r.data?.tags?.instance_id as string;
          byInstance.set(id, (byInstance.get(id) ?? 0) + 1);
        }
      expect(Object.fromEntries(byInstance)).toEqual({ '1': 2, '2': 2 });
      expect(() => readSummary(runDir)).toThrow();
    }, 240_000);
  },
);
