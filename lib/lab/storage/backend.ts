/**
 * One storage backend (an Azure storage account): an HTTP server on its own loopback IP
 * that serves a blob's bytes from the region registry's filesystem, only to requests with
 * a valid SAS, only if it holds one of the layer's C copies, under an egress ceiling.
 *
 * Demand and throttling (like Azure Storage's ServerBusy): the ceiling is shared by the
 * backend's active GET streams through one FIFO byte bucket, so N streams each get about
 * ceiling/N. Demand exceeds the ceiling when admitting one more stream would push every
 * stream's fair share below the floor `storage.minStreamBps`:
 *     ceiling > 0  and  active > 0  and  ceiling / (active + 1) < minStreamBps  ->  503 ServerBusy
 * i.e. at most max(1, floor(ceiling / minStreamBps)) concurrent GET streams per backend
 * (HEADs and refused requests don't count); the rest are refused at once with
 * Retry-After: storage.retryAfterS (1 s by default) rather than queued, as Azure does. A backend whose ceiling is below the
 * floor still serves one stream at a time.
 */

import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { pipeline, Transform } from 'node:stream';
import { type Clock, systemClock } from '../../clock';
import { RunError } from '../../errors';
import { blobDataPath } from '../registry-process';
import { activeBackends, type Component, type LabState } from '../state';
import type { BackendAddr } from '../topology';
import { azureError } from './azure-error';
import { ByteBucket } from './byte-bucket';
import { EgressMeter } from './egress-meter';
import { backendFaults, effectiveCeiling } from './faults';
import { FdCache, sharedFdReadStream } from './fd-cache';
import { placement } from './placement';
import { bareHost, type UrlSigner } from './signer';

export interface BackendStats {
  id: string;
  bytes: number;
  peakEgressBps: number;
  ceilingBps: number;
  throttled: number;
  active: number;
  requests: number;
}

export interface BackendHandle extends Component {
  addr: BackendAddr;
  /** Counters; `peakEgressBps` is the lifetime peak, or the peak since `sinceMs` (epoch ms) if given. */
  stats(sinceMs?: number): BackendStats;
  /** False while a storage-fail fault covers this backend. */
  healthy(): boolean;
}

export interface BackendDeps {
  /** Time for the egress ceiling and meter; default the system clock. */
  clock?: Clock;
  registryRoot: string;
  signer: UrlSigner;
  /** Certificate (lab CA) to serve HTTPS with (storage.tls); absent: plain HTTP. */
  tls?: { cert: string; key: string };
}

/** What backends speak (storage.tls): what a 307 and a deep-health probe must use. */
export function storageScheme(state: LabState): 'https' | 'http' {
  return state.config.storage.tls ? 'https' : 'http';
}

/** Path of a blob on every backend, in the registry's own layout (as ACR's SAS URLs look). */
export function blobUrlPath(digest: string): string {
  const [algo, hex] = digest.split(':') as [string, string];
  return `/docker/registry/v2/blobs/${algo}/${hex.slice(0, 2)}/${hex}/data`;
}
/** Deep health's probe path: signed like any other URL. */
export const HEALTH_PATH = '/$health';

const BLOB_PATH = /^\/docker\/registry\/v2\/blobs\/sha256\/([a-f0-9]{2})\/([a-f0-9]{64})\/data$/;

type Range = { start: number; end: number };
function parseRange(h: string | undefined, size: number): Range | 'invalid' | null {
  if (!h) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m) return null; // multi-range or other units: serve the whole blob, as Azure does for unsupported forms
  if (m[1] === '') {
    const n = Number(m[2]);
    if (!n) return 'invalid';
    return size === 0 ? 'invalid' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startBackend(
  state: LabState,
  addr: BackendAddr,
  deps: BackendDeps,
): Promise<BackendHandle> {
  const name = `storage:${addr.id}`;
  const directReadBytes = deps.tls ? 64 * 1024 : 1024 * 1024;
  const clock = deps.clock ?? systemClock;
  const bucket = new ByteBucket(() => effectiveCeiling(state, addr), clock);
  const meter = new EgressMeter(() => clock.now());
  const fds = new FdCache();
  const counters = { throttled: 0, active: 0, requests: 0 };
  const peers = state.topology.regions.find((r) => r.name === addr.region)?.backends ?? [addr];

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    counters.requests++;
    const head = req.method === 'HEAD';
    const url = new URL(req.url ?? '/', 'http://x');
    const host = bareHost(req.headers.host ?? '');
    // No credential may cross hosts: a client that forwards the registry's token is refused.
    if (req.headers.authorization !== undefined)
      return azureError(res, 403, 'AuthenticationFailed', {
        detail: 'Authorization header is not accepted with a shared access signature',
        head,
      });
    if (req.method !== 'GET' && !head) return azureError(res, 405, 'UnsupportedHttpVerb', { head });
    const sas = deps.signer.verify(req.method ?? 'GET', host, url.pathname, url.searchParams);
    if (sas !== 'ok') {
      const detail = {
        unsigned: 'Signature and expiry (sig, se) are required',
        invalid: 'Signature did not match',
        expired: 'Signed expiry time has passed',
        'wrong-permission': 'Signed permission does not allow this operation',
      }[sas];
      return azureError(
        res,
        403,
        sas === 'wrong-permission' ? 'AuthorizationPermissionMismatch' : 'AuthenticationFailed',
        {
          detail,
          head,
        },
      );
    }
    const faults = backendFaults(state, addr);
    if (faults.failed) return azureError(res, 500, 'InternalError', { head });
    if (url.pathname === HEALTH_PATH) {
      res.writeHead(200, { 'content-length': 0, 'x-ms-version': '2021-08-06' });
      return res.end();
    }
    const m = BLOB_PATH.exec(url.pathname);
    if (!m || m[1] !== m[2]!.slice(0, 2)) return azureError(res, 404, 'BlobNotFound', { head });
    const digest = `sha256:${m[2]}`;
    if (!placement(digest, activeBackends(state, peers), state.storage.copies).some((b) => b.id === addr.id))
      return azureError(res, 404, 'BlobNotFound', { detail: `no copy of ${digest} on ${addr.id}`, head });
    const path = blobDataPath(deps.registryRoot, digest);
    let size: number;
    let mtime: Date;
    try {
      const st = await stat(path);
      size = st.size;
      mtime = st.mtime;
    } catch {
      return azureError(res, 404, 'BlobNotFound', { head });
    }
    const ceiling = faults.ceilingBps ?? state.storage.ceilingBps;
    if (
      !head &&
      ceiling > 0 &&
      counters.active > 0 &&
      ceiling / (counters.active + 1) < state.config.storage.minStreamBps
    ) {
      counters.throttled++;
      return azureError(res, 503, 'ServerBusy', {
        detail: `egress demand over ${ceiling} B/s with ${counters.active} active streams`,
        headers: { 'retry-after': String(state.config.storage.retryAfterS) },
      });
    }
    const range = parseRange(req.headers.range, size);
    if (range === 'invalid')
      return azureError(res, 416, 'InvalidRange', { headers: { 'content-range': `bytes */${size}` }, head });
    const { start, end } = range ?? { start: 0, end: size - 1 };
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'content-length': Math.max(0, end - start + 1),
      'accept-ranges': 'bytes',
      etag: `"${digest}"`,
      'last-modified': mtime.toUTCString(),
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-version': '2021-08-06',
    };
    if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    if (head) {
      res.writeHead(range ? 206 : 200, headers);
      return res.end();
    }
    counters.active++;
    let released = false;
    const done = () => {
      if (released) return;
      released = true;
      counters.active--;
    };
    res.on('close', done);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (res.destroyed) return;
    res.writeHead(range ? 206 : 200, headers);
    if (size === 0 || end < start) return res.end();
    let fd: number;
    try {
      fd = await fds.acquire(path);
    } catch {
      res.destroy();
      return;
    }
    const release = () => fds.release(path);
    const streamBps = state.config.storage.streamBps;
    if (ceiling <= 0 && streamBps <= 0) {
      // No ceiling: stream straight to the socket in large reads. Fewer, bigger buffers
      // keep the collector out of the way of a backend that must keep up with the registry.
      // Over TLS each written buffer is held until it is encrypted and sent: with 1 MiB
      // reads 1,000 concurrent downloads took the lab to 2.4 GiB of RSS, with 64 KiB to
      // 0.6 GiB, and finished sooner (bench/lab-cold-pull.ts, bench/README.md).
      const rs = sharedFdReadStream(fd, { start, end, highWaterMark: directReadBytes });
      rs.on('data', (data) => meter.add(data.length));
      pipeline(rs, res, release);
      return;
    }
    // Under a ceiling, small chunks through the shared bucket keep pacing smooth. A
    // per-stream rate (storage.streamBps) is this stream's own bucket, taken first: a stream
    // never asks the shared ceiling for more than it could carry.
    const chunk =
      streamBps > 0 ? Math.min(64 * 1024, Math.max(16 * 1024, Math.floor(streamBps / 8))) : 64 * 1024;
    const rs = sharedFdReadStream(fd, { start, end, highWaterMark: chunk });
    const own = streamBps > 0 ? new ByteBucket(() => streamBps, clock) : undefined;
    const shared = (data: Buffer, cb: (e: null, d: Buffer) => void) =>
      bucket.take(data.length, () => {
        meter.add(data.length);
        cb(null, data);
      });
    const pacer = new Transform({
      transform(data: Buffer, _enc, cb) {
        if (own) own.take(data.length, () => shared(data, cb));
        else shared(data, cb);
      },
    });
    pipeline(rs, pacer, res, () => {
      own?.close();
      release();
    });
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) azureError(res, 500, 'InternalError');
      else res.destroy();
    });
  };
  // One server per address: the IPv4 one, and with dual stack (addr.ip6) its IPv6 twin.
  const servers = [addr.ip, ...(addr.ip6 ? [addr.ip6] : [])].map((host) => {
    const server = deps.tls
      ? createTlsServer({ keepAliveTimeout: 65_000, cert: deps.tls.cert, key: deps.tls.key }, handler)
      : createServer({ keepAliveTimeout: 65_000 }, handler);
    // A client that gives up mid-handshake is not a server error.
    server.on('tlsClientError', () => {});
    server.headersTimeout = 66_000;
    server.requestTimeout = 0;
    return { server, host };
  });
  const closeAll = () =>
    Promise.all(
      servers.map(
        ({ server }) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  try {
    for (const { server, host } of servers)
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) =>
          reject(new RunError('BACKEND_LISTEN', `storage ${addr.id} on ${host}:${addr.port}: ${e.message}`)),
        );
        server.listen({ port: addr.port, host, backlog: 4096 }, () => resolve());
      });
  } catch (e) {
    await closeAll();
    throw e;
  }

  const stats = (sinceMs?: number): BackendStats => ({
    id: addr.id,
    bytes: meter.total,
    peakEgressBps: sinceMs === undefined ? meter.peakBps() : meter.peakSinceBps(sinceMs),
    ceilingBps: effectiveCeiling(state, addr),
    throttled: counters.throttled,
    active: counters.active,
    requests: counters.requests,
  });
  const healthy = () => !backendFaults(state, addr).failed;
  let last: boolean | undefined;
  const report = () => {
    const ok = healthy();
    const s = stats();
    const detail = `${ok ? 'serving' : 'failing (storage-fail)'}; active ${s.active}, ${(meter.lastSecondBps() / 1e6).toFixed(1)} MB/s, ceiling ${s.ceilingBps ? `${(s.ceilingBps / 1e6).toFixed(1)} MB/s` : 'none'}, throttled ${s.throttled}`;
    const prev = state.components.get(name);
    state.components.set(name, { ok, detail, since: last === ok && prev ? prev.since : Date.now() });
    last = ok;
  };
  report();
  const reporter = setInterval(report, 1000);
  reporter.unref();

  return {
    name,
    addr,
    stats,
    healthy,
    async stop() {
      clearInterval(reporter);
      bucket.close();
      await closeAll();
      state.components.set(name, { ok: false, detail: 'stopped', since: Date.now() });
    },
  };
}
