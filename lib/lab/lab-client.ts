/**
 * A tiny client for the lab's control API (a unix socket), used by the CLI, tests, the k6
 * runner and the demo. A 400 comes back as the same InputError the supervisor threw (so the
 * CLI exits 2 naming the field); an unreachable socket is LAB_NOT_RUNNING.
 */
import { request } from 'node:http';
import { InputError, RunError } from '../errors';
import { type LabConfig, resolveLabConfig } from './config';
import type { Fault, RuntimeStorage } from './state';
import type { LabStatus } from './supervisor';
import { type Topology, topology } from './topology';

export interface LabClient {
  readonly socketPath: string;
  health(): Promise<{ ok: boolean; name: string; pid: number }>;
  /** `sinceMs` (epoch ms): each backend's peak egress since then (a run's own), not its lifetime peak. */
  status(sinceMs?: number): Promise<LabStatus>;
  config(): Promise<{ config: LabConfig; topology: Topology; netns: boolean }>;
  setStorage(patch: Partial<RuntimeStorage>): Promise<RuntimeStorage>;
  faults(): Promise<Fault[]>;
  addFault(spec: unknown): Promise<Fault>;
  clearFault(id: string): Promise<void>;
  clearFaults(): Promise<number>;
  shutdown(): Promise<void>;
}

/** Where the API socket of lab `name` is (same rule as topology(): <labHome>/<name>/api.sock). */
export function labSocketPath(name: string): string {
  return labTopologyByName(name).apiSocket;
}

/** Topology paths (state dir, socket, namespace) of lab `name`, without asking the lab. */
export function labTopologyByName(name: string): Topology {
  return topology(resolveLabConfig([], [`lab.name=${name}`]), { netns: false });
}

export function labClient(socketPath: string, opts: { timeoutMs?: number } = {}): LabClient {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const call = <T>(method: string, path: string, body?: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath,
          path,
          method,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {},
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: Record<string, unknown> = {};
            try {
              json = text ? JSON.parse(text) : {};
            } catch {
              return reject(new RunError('LAB_API', `${method} ${path}: not JSON: ${text.slice(0, 200)}`));
            }
            const status = res.statusCode ?? 0;
            if (status === 400)
              return reject(
                new InputError(
                  String(json.field ?? '(request)'),
                  String(json.expected ?? 'valid input'),
                  json.received,
                  String(json.code ?? 'BAD_INPUT'),
                ),
              );
            if (status === 404)
              return reject(new InputError(path, 'an existing id', path, String(json.code)));
            if (status >= 300)
              return reject(new RunError(String(json.code ?? 'LAB_API'), String(json.message ?? text)));
            resolve(json as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED')
          reject(
            new RunError(
              'LAB_NOT_RUNNING',
              `no lab is listening on ${socketPath}: start one with 'npx stampede lab up --detach' (or pass --name for a lab started under another name)`,
              { cause: e },
            ),
          );
        else reject(new RunError('LAB_API', `${method} ${path}: ${e.message}`, { cause: e }));
      });
      if (payload) req.write(payload);
      req.end();
    });

  return {
    socketPath,
    health: () => call('GET', '/health'),
    status: (sinceMs) =>
      call('GET', sinceMs === undefined ? '/status' : `/status?since=${Math.floor(sinceMs)}`),
    config: () => call('GET', '/config'),
    setStorage: (patch) => call('PUT', '/storage', patch),
    faults: () => call('GET', '/faults'),
    addFault: (spec) => call('POST', '/faults', spec),
    clearFault: async (id) => {
      await call('DELETE', `/faults/${encodeURIComponent(id)}`);
    },
    clearFaults: async () => (await call<{ cleared: number }>('DELETE', '/faults')).cleared,
    shutdown: async () => {
      await call('POST', '/shutdown');
    },
  };
}

/** Poll /health until it answers or `timeoutMs` passes; `alive()` false aborts early. */
export async function waitForLab(
  client: LabClient,
  timeoutMs: number,
  alive: () => boolean = () => true,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive()) {
    try {
      const h = await client.health();
      if (h.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
