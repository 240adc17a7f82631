/**
 * A tiny client for the lab's control API (a unix socket), used by the CLI, tests, the k6
 * runner and the demo. A 400 comes back as the same InputError the supervisor threw (so the
 * CLI exits 2 naming the field); an unreachable socket is LAB_NOT_RUNNING.
 */
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { InputError, RunError } from '../errors';
import type { PushedImage } from '../oci/push';
import type { CachePatchResult } from './cache/runtime';
import { type LabConfig, resolveLabConfig } from './config';
import { runningLab } from './lab-registry';
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
  /** Pull-through cache settings (dotted keys), validated like config. */
  setCache(patch: Record<string, unknown>): Promise<CachePatchResult>;
  cacheRules(): Promise<string[]>;
  addCacheRule(downstream: string, upstream: string): Promise<string[]>;
  /** false if no rule has this downstream prefix. */
  removeCacheRule(downstream: string): Promise<boolean>;
  seedUpstream(image: string, layers: number[]): Promise<PushedImage>;
}

/** Where the API socket of lab `name` is (same rule as topology(): <labHome>/<name>/api.sock). */
export function labSocketPath(name: string): string {
  return labTopologyByName(name).apiSocket;
}

/**
 * Topology paths (state dir, socket, namespace) of lab `name`, without asking the lab: where
 * it runs if it runs (names are machine-wide: lib/lab/lab-registry.ts), else under labHome().
 */
export function labTopologyByName(name: string): Topology {
  const topo = topology(resolveLabConfig([], [`lab.name=${name}`]), { netns: false });
  const running = runningLab(name);
  if (!running || running.stateDir === topo.stateDir) return topo;
  return { ...topo, stateDir: running.stateDir, apiSocket: join(running.stateDir, 'api.sock') };
}

export function labClient(socketPath: string, opts: { timeoutMs?: number } = {}): LabClient {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  /** `notFound` says what a 404 means for this call, in the caller's terms (a fault id, not a path). */
  const call = <T>(method: string, path: string, body?: unknown, notFound?: () => Error): Promise<T> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath,
          path,
          method,
          // A connection per call (a unix socket: microseconds). With Node's keep-alive
          // agent a caller whose event loop was blocked past the API server's 5 s idle
          // timeout (a synchronous calibration in bench/lab-copy-sweep.ts) reused the socket
          // the server had closed meanwhile: `write EPIPE`.
          agent: false,
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
              return reject(
                notFound?.() ??
                  new RunError(String(json.code ?? 'NOT_FOUND'), `${method} ${path}: not found`),
              );
            if (status >= 300)
              return reject(new RunError(String(json.code ?? 'LAB_API'), String(json.message ?? text)));
            resolve(json as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED')
          notRunning(socketPath).then((msg) => reject(new RunError('LAB_NOT_RUNNING', msg, { cause: e })));
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
      await call(
        'DELETE',
        `/faults/${encodeURIComponent(id)}`,
        undefined,
        () =>
          new InputError(
            '<id>',
            "the id of an active fault (see 'stampede lab fault list')",
            id,
            'UNKNOWN_FAULT_ID',
          ),
      );
    },
    clearFaults: async () => (await call<{ cleared: number }>('DELETE', '/faults')).cleared,
    shutdown: async () => {
      await call('POST', '/shutdown');
    },
    setCache: (patch) => call('PUT', '/cache', patch),
    seedUpstream: (image, layers) => call('POST', '/upstream/seed', { image, layers }),
    cacheRules: async () => (await call<{ rules: string[] }>('GET', '/cache-rules')).rules,
    addCacheRule: async (downstream, upstream) =>
      (await call<{ rules: string[] }>('POST', '/cache-rules', { downstream, upstream })).rules,
    removeCacheRule: async (downstream) => {
      let found = true;
      await call('DELETE', `/cache-rules/${encodeURIComponent(downstream)}`, undefined, () => {
        found = false;
        return new Error('no such rule');
      }).catch((e) => {
        if (found) throw e;
      });
      return found;
    },
  };
}

/**
 * LAB_NOT_RUNNING says how to start the lab asked for and, since the usual cause is a lab
 * started under another name (or another $STAMPEDE_LAB_HOME), which labs are up next to it.
 * Part of the message itself, so every caller (lab commands, `run --target lab`) shows it.
 */
async function notRunning(socketPath: string): Promise<string> {
  const name = basename(dirname(socketPath));
  const home = dirname(dirname(socketPath));
  const start = `npx stampede lab up --detach${name === 'lab' ? '' : ` --name ${name}`}`;
  const others = await labsIn(home, name);
  const up = others.filter((l) => l.up).map((l) => l.name);
  const idle = others.filter((l) => !l.up).map((l) => l.name);
  return [
    `no lab is listening on ${socketPath}; start one with: ${start}`,
    up.length ? `labs up in ${home}: ${up.join(', ')} (pass --name ${up[0]})` : '',
    idle.length ? `state dirs of labs not running in ${home}: ${listSome(idle)}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

const listSome = (names: string[], n = 8): string =>
  names.length > n ? `${names.slice(0, n).join(', ')} and ${names.length - n} more` : names.join(', ');

/** Every lab state dir under `home` but `except`, and whether a lab answers on its socket. */
async function labsIn(home: string, except: string): Promise<Array<{ name: string; up: boolean }>> {
  let names: string[];
  try {
    names = readdirSync(home, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== except)
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
  return await Promise.all(
    names.map(async (name) => ({ name, up: await answers(join(home, name, 'api.sock')) })),
  );
}

/** A socket file can outlive a SIGKILLed lab: only a connection says the lab is up. */
function answers(socketPath: string, timeoutMs = 500): Promise<boolean> {
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((done) => {
    const sock = connect(socketPath);
    const finish = (ok: boolean) => {
      sock.destroy();
      done(ok);
    };
    sock.setTimeout(timeoutMs, () => finish(false));
    sock.once('connect', () => finish(true));
    sock.once('error', () => finish(false));
  });
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
