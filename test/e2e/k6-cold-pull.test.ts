/**
 * The proof: a real k6 (the pinned v1.8.1 build) pulls an image through the lab's global
 * name inside the lab's namespace with its own resolver (no hosts override): Azure AD
 * client credentials at the identity stand-in, /oauth2/exchange, the Bearer challenge and
 * token, the manifest, every blob through the 307 to a storage backend (which refuses any
 * Authorization header), bytes and digests checked. The image is seeded by the project's
 * own Node code (real @azure/identity + the token flow) and cross-checked with skopeo.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { labCommand } from '../../lib/cli/commands/lab';
import { resolve as resolveParams } from '../../lib/config/schema';
import { bundleScenario, REPO_ROOT } from '../../lib/k6/bundle';
import { collectMetrics, isPoint, type K6Point } from '../../lib/k6/collect';
import { type K6RunResult, runK6 } from '../../lib/k6/run';
import { coldPullSchema } from '../../lib/k6/scenarios';
import { readIdentityRecord } from '../../lib/lab/identity';
import { type LabClient, labClient, labSocketPath } from '../../lib/lab/lab-client';
import { nsExec } from '../../lib/lab/netns';
import type { Topology } from '../../lib/lab/topology';
import { readNdjson } from '../../lib/results/ndjson';
import { K6, prerequisites, ROOT, SKOPEO } from '../helpers/prereq';
import { labUpArgs } from './helpers/lab-up';

const run = promisify(execFile);
const LAB = 'k6e2e';
const IMAGE = 'e2e/app:v1';
const LAYERS = [1 << 20, 2 << 20, (3 << 20) + 12345];
const VUS = 3;
const canRun = prerequisites('k6 cold pull through the lab', [ROOT, K6, SKOPEO]);

let home: string;
let work: string;
let client: LabClient;
let topo: Topology;
let netns: boolean;
let seeded: {
  base: string;
  manifestDigest: string;
  config: { digest: string; size: number };
  layers: Array<{ digest: string; size: number }>;
  auth: { challenges: number; tokenRequests: number; exchanges: number };
};
let k6: K6RunResult;
let points: K6Point[];
let backendBytes: number;

const quiet: Io = { out: () => {}, err: () => {}, tty: false };

beforeAll(async () => {
  if (!canRun) return;
  home = mkdtempSync(join(tmpdir(), 'stampede-k6e2e-'));
  work = mkdtempSync(join(tmpdir(), 'stampede-k6run-'));
  process.env.STAMPEDE_LAB_HOME = home;
  const code = await runCommand(
    labCommand,
    labUpArgs(LAB, 'lab.octet=5', 'regions.names=eastus,westus', 'storage.backends=2', 'storage.copies=2'),
    quiet,
  );
  expect(code).toBe(0);
  client = labClient(labSocketPath(LAB));
  ({ topology: topo, netns } = await client.config());

  // Seed inside the namespace: the project's Node code, through the regional endpoint.
  const { stdout } = await run(
    nsExec(topo.namespace)[0] as string,
    [
      ...nsExec(topo.namespace).slice(1),
      process.execPath,
      '--import',
      'tsx',
      join(REPO_ROOT, 'lib/lab/seed.ts'),
      '--name',
      LAB,
      '--image',
      IMAGE,
      '--layers',
      LAYERS.join(','),
      '--authfile',
      join(work, 'auth.json'),
    ],
    { cwd: REPO_ROOT, env: { ...process.env, STAMPEDE_LAB_HOME: home }, timeout: 60_000 },
  );
  seeded = JSON.parse(stdout.trim().split('\n').pop() as string);

  const before = (await client.status()).backends.reduce((a, b) => a + b.bytes, 0);
  const record = readIdentityRecord(topo.stateDir);
  const puller = record.clients.find((c) => c.name === 'puller')!;
  const script = await bundleScenario('cold-pull', work);
  k6 = await runK6({
    script,
    runDir: work,
    prefix: nsExec(topo.namespace),
    timeoutMs: 90_000,
    env: {
      // The scenario's one JSON value: the schema's defaults with this test's values.
      STAMPEDE_PARAMS: JSON.stringify({
        ...resolveParams(coldPullSchema, [], [`image=${IMAGE}`, `vus=${VUS}`, 'maxDurationS=60']),
        baseUrl: `http://contoso.${topo.domain}:${topo.port}`,
      }),
      STAMPEDE_AAD_AUTHORITY: record.url,
      STAMPEDE_AAD_TENANT: record.tenantId,
      STAMPEDE_AAD_CLIENT_ID: puller.clientId,
      STAMPEDE_AAD_CLIENT_SECRET: puller.clientSecret,
      SSL_CERT_FILE: record.caCertPath,
    },
  });
  points = readNdjson(k6.rawPath).filter(isPoint);
  backendBytes = (await client.status()).backends.reduce((a, b) => a + b.bytes, 0) - before;
}, 180_000);

afterAll(async () => {
  if (!canRun) return;
  await runCommand(labCommand, ['down', '--name', LAB], quiet);
  rmSync(home, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}, 60_000);

const reqs = (pred: (tags: Record<string, string>) => boolean) =>
  points.filter((p) => p.metric === 'http_reqs' && pred(p.data.tags ?? {}));

describe.runIf(canRun)('k6 cold pull through the lab', () => {
  it('runs in the lab namespace and seeds through the token flow', () => {
    expect(netns).toBe(true);
    expect(seeded.layers.map((l) => l.size)).toEqual(LAYERS);
    expect(seeded.auth.exchanges).toBe(1); // one AAD token exchanged for a refresh token
    expect(seeded.auth.challenges).toBeGreaterThanOrEqual(1);
  });

  it('pulls every VU cleanly', () => {
    expect(k6.exitCode, k6.tail.join('\n')).toBe(0);
    const m = collectMetrics(points);
    expect(m.pulls).toEqual({ ok: VUS, failed: 0 });
    expect(m.errors).toEqual({ total: 0, byCode: {} });
    const want = LAYERS.reduce((a, b) => a + b, 0) + seeded.config.size;
    expect(m.bytes).toBe(VUS * want);
    expect(m.pullS?.max).toBeGreaterThan(0);
  });

  it('walked the Azure AD + ACR token flow', () => {
    expect(reqs((t) => t.step === 'aad' && t.status === '200')).toHaveLength(1);
    expect(reqs((t) => t.step === 'exchange' && t.status === '200')).toHaveLength(1);
    expect(reqs((t) => t.step === 'ping' && t.status === '401').length).toBeGreaterThanOrEqual(VUS);
    expect(reqs((t) => t.step === 'token' && t.status === '200')).toHaveLength(VUS);
    expect(reqs((t) => t.step === 'manifest' && t.status === '200')).toHaveLength(VUS);
  });

  it('resolved the global name with its own resolver and followed 307s to storage backends', () => {
    const front = reqs((t) => t.step === 'blob' && t.status === '307');
    const backend = reqs((t) => t.step === 'blob-data' && t.status === '200');
    const blobs = VUS * (LAYERS.length + 1);
    expect(front).toHaveLength(blobs);
    expect(backend).toHaveLength(blobs);
    for (const p of front) expect(p.data.tags?.name).toMatch(new RegExp(`^http://contoso\\.${topo.domain}:`));
    // the backend refuses any Authorization header: 200s there prove none crossed hosts
    for (const p of backend) expect(p.data.tags?.name).toMatch(/^http:\/\/(eastus|westus)-b\d\.blob\.[^?]*$/);
    expect(backendBytes).toBeGreaterThanOrEqual(VUS * LAYERS.reduce((a, b) => a + b, 0));
  });

  it('keeps storage signatures and tokens out of the raw results', () => {
    const raw = readFileSync(k6.rawPath, 'utf8');
    expect(raw).not.toMatch(/[?&](sig|se)=/);
    expect(raw).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });

  it('agrees with skopeo on the manifest digest and every blob', async () => {
    const ns = nsExec(topo.namespace);
    const ref = `docker://contoso.${topo.domain}:${topo.port}/${IMAGE}`;
    const auth = join(work, 'auth.json');
    expect(statSync(auth).mode & 0o077).toBe(0);
    const inspect = await run(
      ns[0] as string,
      [...ns.slice(1), 'skopeo', 'inspect', '--tls-verify=false', '--authfile', auth, ref],
      { timeout: 60_000 },
    );
    const info = JSON.parse(inspect.stdout) as { Digest: string; Layers: string[] };
    expect(info.Digest).toBe(seeded.manifestDigest);
    expect(info.Layers).toEqual(seeded.layers.map((l) => l.digest));

    const dir = join(work, 'copy');
    await run(
      ns[0] as string,
      [...ns.slice(1), 'skopeo', 'copy', '--src-tls-verify=false', '--src-authfile', auth, ref, `dir:${dir}`],
      { timeout: 60_000 },
    );
    const files = readdirSync(dir);
    for (const l of seeded.layers) {
      const hex = l.digest.slice('sha256:'.length);
      expect(files).toContain(hex);
      expect(statSync(join(dir, hex)).size).toBe(l.size);
    }
    const manifest = readFileSync(join(dir, 'manifest.json'));
    const { createHash } = await import('node:crypto');
    expect(`sha256:${createHash('sha256').update(manifest).digest('hex')}`).toBe(seeded.manifestDigest);
  });
});
