/**
 * One real registry server (CNCF distribution 2.8, Debian's `docker-registry`) per region.
 * We write its config, start it bound to a loopback address, wait until /v2/ answers,
 * and can kill and restart it (the `registry-kill` fault) without losing its storage.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunError } from '../errors';

export const REGISTRY_BIN = process.env.STAMPEDE_REGISTRY_BIN ?? '/usr/bin/docker-registry';

export interface RegistryOptions {
  /** Label for logs and errors, e.g. the region name. */
  name: string;
  ip: string;
  port: number;
  /** Directory for config, storage root and log. */
  dir: string;
  /** Where the registry POSTs notification envelopes (the replicator); none if unset. */
  notifyUrl?: string;
  /** Spawn through a wrapper, e.g. ['ip', 'netns', 'exec', ns]; default: directly. */
  prefix?: string[];
  /**
   * The key that signs upload state (`_state` in upload Locations). One key for every
   * region, as ACR's replicas accept each other's upload tokens: an upload opened in one
   * region and continued in another then fails as ACR's does, BLOB_UPLOAD_UNKNOWN (that
   * region's storage has no such session), not BLOB_UPLOAD_INVALID (a key mismatch, what a
   * random key per process gives). Unset: the registry makes up its own.
   */
  httpSecret?: string;
}

export interface RegistryProcess {
  readonly url: string;
  readonly root: string;
  readonly pid: number | undefined;
  running(): boolean;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function registryConfig(o: RegistryOptions, root: string): string {
  // YAML written by hand: the shape is fixed and small, and it keeps a YAML library out.
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  cache:',
    '    blobdescriptor: inmemory',
    '  filesystem:',
    `    rootdirectory: ${root}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${o.ip}:${o.port}`,
    ...(o.httpSecret ? [`  secret: ${o.httpSecret}`] : []),
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
  ];
  if (o.notifyUrl) {
    lines.push(
      'notifications:',
      '  events:',
      '    includereferences: true',
      '  endpoints:',
      '    - name: stampede-replicator',
      `      url: ${o.notifyUrl}`,
      '      timeout: 2s',
      '      threshold: 5',
      '      backoff: 1s',
      '      ignoredmediatypes:',
      '        - application/octet-stream',
    );
  }
  return `${lines.join('\n')}\n`;
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new RunError('REGISTRY_EXITED', `registry at ${url} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(500) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new RunError('REGISTRY_TIMEOUT', `registry at ${url} did not answer /v2/ within ${timeoutMs} ms`);
}

export async function startRegistry(o: RegistryOptions): Promise<RegistryProcess> {
  const root = join(o.dir, 'storage');
  mkdirSync(root, { recursive: true });
  const configPath = join(o.dir, 'config.yml');
  writeFileSync(configPath, registryConfig(o, root));
  const url = `http://${o.ip}:${o.port}`;
  let child: ChildProcess;

  const launch = async () => {
    const log = openSync(join(o.dir, 'registry.log'), 'a');
    const [cmd, ...args] = [...(o.prefix ?? []), REGISTRY_BIN, 'serve', configPath];
    child = spawn(cmd as string, args, { stdio: ['ignore', log, log] });
    child.on('error', () => {
      // reported through waitReady / running()
    });
    await waitReady(url, child, 15_000);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    url,
    root,
    get pid() {
      return child.pid;
    },
    running: () => child.exitCode === null && child.signalCode === null,
    kill,
    async restart() {
      await kill();
      await launch();
    },
    stop: kill,
  };
}

/** Path of a blob's bytes inside a filesystem-driver registry root. */
export function blobDataPath(root: string, digest: string): string {
  const [algo, hex] = digest.split(':');
  if (!algo || !hex || !/^[a-f0-9]{64}$/.test(hex))
    throw new RunError('DIGEST_INVALID', `bad digest ${digest}`);
  return join(root, 'docker/registry/v2/blobs', algo, hex.slice(0, 2), hex, 'data');
}
