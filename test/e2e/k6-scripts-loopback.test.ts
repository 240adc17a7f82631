/**
 * The bundled k6 scripts, run by the real k6 against a real registry server (docker-registry
 * on loopback) behind a small storage-redirect front: blob GETs answer 307 to a "storage" URL
 * carrying a signature, storage refuses any Authorization header and answers its first
 * request 503 ServerBusy. Both scripts on the k6 client library:
 *   - scenarios/cold-pull.ts pulls, follows the hop without Authorization, retries the
 *     throttled hop, counts it as throttling;
 *   - bench/k6/lab-capacity.ts downloads the same blobs, and its raw output keeps no
 *     signature (issue 12 item 15: it used to tag requests with their full URL).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve as resolveParams } from '../../lib/config/schema';
import { bundleScenario, REPO_ROOT } from '../../lib/k6/bundle';
import { collectMetrics } from '../../lib/k6/collect';
import { runK6 } from '../../lib/k6/run';
import { coldPullSchema } from '../../lib/k6/scenarios';
import { type RegistryProcess, startRegistry } from '../../lib/lab/registry-process';
import { pushImage } from '../../lib/oci/push';
import { readNdjson } from '../../lib/results/ndjson';
import { K6, prerequisites, REGISTRY } from '../helpers/prereq';

const SIG = 'sv=2024-01-01&se=2030&sig=TOPSECRETsignature';
const canRun = prerequisites('bundled k6 scripts against a loopback registry', [K6, REGISTRY]);

let work: string;
let registry: RegistryProcess;
let front: Server;
let base: string;
let storageAuth = 0;
let busyLeft = 0;
let layers: Array<{ digest: string; size: number }>;

const listen = (s: Server) =>
  new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));

async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

async function forward(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const headers = Object.fromEntries(
    Object.entries(req.headers).filter(
      ([k, v]) => typeof v === 'string' && k !== 'host' && k !== 'connection',
    ),
  ) as Record<string, string>;
  const up = await fetch(url, {
    method: req.method ?? 'GET',
    headers,
    ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
    redirect: 'manual',
  });
  const out: Record<string, string> = {};
  up.headers.forEach((v, k) => {
    if (k !== 'content-encoding' && k !== 'transfer-encoding') out[k] = v;
  });
  res.writeHead(up.status, out).end(Buffer.from(await up.arrayBuffer()));
}

beforeAll(async () => {
  if (!canRun) return;
  work = mkdtempSync(join(tmpdir(), 'stampede-k6loop-'));
  registry = await startRegistry({
    name: 'loop',
    ip: '127.0.0.1',
    port: await freePort(),
    dir: join(work, 'reg'),
  });
  front = createServer((req, res) => {
    const url = req.url ?? '/';
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url);
    if (req.method === 'GET' && blob) {
      res.writeHead(307, { location: `${base}/storage/${blob[1]}/${blob[2]}?${SIG}` }).end();
      return;
    }
    const store = /^\/storage\/(.+)\/(sha256:[a-f0-9]{64})\?/.exec(url);
    if (store) {
      if (req.headers.authorization) {
        storageAuth++;
        res.writeHead(403, { 'x-ms-error-code': 'AuthenticationFailed' }).end();
        return;
      }
      if (busyLeft > 0) {
        busyLeft--;
        res.writeHead(503, { 'x-ms-error-code': 'ServerBusy', 'retry-after': '1' }).end();
        return;
      }
      void forward(req, res, `${registry.url}/v2/${store[1]}/blobs/${store[2]}`);
      return;
    }
    void forward(req, res, `${registry.url}${url}`);
  });
  base = `http://127.0.0.1:${await listen(front)}`;
  const pushed = await pushImage(registry.url, 'loop/app', 'v1', [
    Buffer.alloc(70_000, 1),
    Buffer.alloc(130_000, 2),
  ]);
  layers = [pushed.config, ...pushed.layers];
}, 60_000);

afterAll(async () => {
  if (!canRun) return;
  await new Promise((r) => front.close(r));
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
});

describe.runIf(canRun)('bundled k6 scripts against a loopback registry with a storage redirect', () => {
  it('cold-pull: pulls through the 307 without Authorization, retries the ServerBusy hop, keeps no signature', async () => {
    busyLeft = 1;
    storageAuth = 0;
    const dir = join(work, 'cold');
    const script = await bundleScenario('cold-pull', dir);
    const params = resolveParams(coldPullSchema, [], ['vus=2', 'image=loop/app:v1', 'maxDurationS=60']);
    // One of several k6 processes of a run would have its own raw file and arguments.
    const r = await runK6({
      script,
      runDir: dir,
      rawPath: join(dir, 'raw-0.ndjson'),
      args: ['--tag', 'shard=0'],
      timeoutMs: 120_000,
      env: { STAMPEDE_PARAMS: JSON.stringify({ ...params, baseUrl: base }) },
    });
    expect(r.exitCode, r.tail.join('\n')).toBe(0);
    expect(r.rawPath).toBe(join(dir, 'raw-0.ndjson'));
    const records = readNdjson<{ type: string; data?: { tags?: Record<string, string> } }>(r.rawPath);
    for (const p of records.filter((x) => x.type === 'Point')) expect(p.data?.tags?.shard).toBe('0');
    const m = collectMetrics(records);
    expect(m.pulls).toEqual({ ok: 2, failed: 0 });
    expect(m.blobRedirects).toBe(2 * layers.length);
    expect(m.bytes).toBe(2 * layers.reduce((a, l) => a + l.size, 0));
    expect(m.throttleByCode).toEqual({ '503': 1 });
    expect(m.http.byStep['blob-data']).toBe(2 * layers.length + 1);
    expect(storageAuth).toBe(0);
    expect(readFileSync(r.rawPath, 'utf8')).not.toMatch(/TOPSECRET|sig=/);
  }, 180_000);

  it('cold-pull refuses to start without its parameters (no defaults outside the schema)', async () => {
    const dir = join(work, 'noparams');
    const r = await runK6({ script: await bundleScenario('cold-pull', dir), runDir: dir, timeoutMs: 60_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.tail.join('\n')).toMatch(/STAMPEDE_PARAMS is not set/);
  }, 120_000);

  it('bench/k6/lab-capacity.ts: every blob through the hop, and its raw output keeps no signature', async () => {
    busyLeft = 1;
    storageAuth = 0;
    const dir = join(work, 'bench');
    const script = await bundleScenario(join(REPO_ROOT, 'bench/k6/lab-capacity.ts'), dir);
    const r = await runK6({
      script,
      runDir: dir,
      timeoutMs: 120_000,
      progressMetric: 'blob_ok',
      env: {
        CAP_BASE: base,
        CAP_REPO: 'loop/app',
        CAP_BLOBS: JSON.stringify(layers),
        CAP_MODE: 'concurrency',
        CAP_VUS: '2',
        CAP_PER_VU: String(layers.length),
        CAP_BARRIER_S: '1',
        CAP_MAX_RETRIES: '3',
        CAP_VERIFY: '1',
        CAP_MAX_DURATION_S: '60',
      },
    });
    expect(r.exitCode, r.tail.join('\n')).toBe(0);
    const raw = readFileSync(r.rawPath, 'utf8');
    const count = (metric: string) =>
      readNdjson<{ type: string; metric: string; data: { value: number } }>(r.rawPath)
        .filter((p) => p.type === 'Point' && p.metric === metric)
        .reduce((a, p) => a + p.data.value, 0);
    expect(count('blob_ok')).toBe(2 * layers.length);
    expect(count('blob_redirects')).toBe(2 * layers.length + 1);
    expect(count('throttled')).toBe(1);
    expect(storageAuth).toBe(0);
    expect(raw).toMatch(/"name":"http:\/\/127\.0\.0\.1:\d+\/storage\/loop\/app\/sha256:[a-f0-9]{64}"/);
    expect(raw).not.toMatch(/TOPSECRET|sig=/);
  }, 180_000);
});
