/**
 * The lab's webhook events where k6 can read them. The lab records one ACR-shaped push event
 * per replica as content lands there (lib/lab/replication: the same record its webhooks
 * carry), but its API is a unix socket and k6 speaks only TCP. So for the run's duration the
 * run process serves those records on a loopback port (inside the lab's namespace when there
 * is one, where k6 runs too): GET /events?digest=sha256:... answers a JSON array of ACR
 * webhook events, the shape a real webhook receiver in front of ACR would hand the
 * wait-webhook puller. The lab is asked at most once per `refreshMs`, however many pullers poll.
 *
 * It also carries the pusher's ack to the pullers (k6 VUs share nothing): the pusher POSTs
 * {round, phase, ackMs, digest} to /acks once its manifest PUT is answered; pullers hold a GET
 * /acks?round=&phase= open until it arrives, so they start their offset from the pusher's
 * own ack instant, a few ms after it, instead of from their own poll of the registry.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReplicationEventRecord } from '../../lab/replication/status';

const LONG_POLL_MS = 5000;

export interface EventBoard {
  /** GET: the events. */
  url: string;
  /** POST {round, phase, ackMs, digest}: the pusher's ack; GET ?round=&phase=: waits for it. */
  acksUrl: string;
  close(): Promise<void>;
}

/** The records of every region as ACR webhook events (push and delete, local and replica). */
export function acrEvents(records: readonly ReplicationEventRecord[], digest?: string): unknown[] {
  return records
    .filter(
      (r) => (r.action === 'push' || r.action === 'delete') && r.digest && (!digest || r.digest === digest),
    )
    .map((r) => ({
      id: r.id,
      timestamp: r.at,
      action: r.action,
      target: {
        ...(r.mediaType ? { mediaType: r.mediaType } : {}),
        ...(r.size !== undefined ? { size: r.size, length: r.size } : {}),
        digest: r.digest,
        repository: r.repository,
        ...(r.tag ? { tag: r.tag } : {}),
      },
      request: { id: r.id, host: r.host, method: r.action === 'push' ? 'PUT' : 'DELETE', useragent: '' },
    }));
}

export async function startEventBoard(
  read: () => Promise<ReplicationEventRecord[]>,
  o: { refreshMs?: number; host?: string } = {},
): Promise<EventBoard> {
  const refreshMs = o.refreshMs ?? 50;
  let cache: ReplicationEventRecord[] = [];
  let readAt = 0;
  let pending: Promise<void> | null = null;
  const fresh = async () => {
    if (Date.now() - readAt < refreshMs) return;
    pending ??= read()
      .then((r) => {
        cache = r;
        readAt = Date.now();
      })
      .catch(() => {
        // the lab went away: keep answering what it last said
      })
      .finally(() => {
        pending = null;
      });
    await pending;
  };
  // The pusher's acks, and pullers waiting for one (a long poll, so they hear of it in ms).
  const acks = new Map<string, string>();
  const waiting = new Map<string, Array<(body: string) => void>>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://board');
    if (url.pathname === '/acks') return ackRoute(req, res, url);
    req.resume();
    if (req.method !== 'GET' || url.pathname !== '/events') {
      res.writeHead(404).end();
      return;
    }
    void fresh().then(() => {
      const body = JSON.stringify(acrEvents(cache, url.searchParams.get('digest') ?? undefined));
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
  const ackRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
      req.on('end', () => {
        let ack: { round?: unknown; phase?: unknown };
        try {
          ack = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          res.writeHead(400).end();
          return;
        }
        const key = `${Number(ack.round)}/${String(ack.phase)}`;
        const body = JSON.stringify(ack);
        acks.set(key, body);
        for (const wake of waiting.get(key) ?? []) wake(body);
        waiting.delete(key);
        res.writeHead(204).end();
      });
      return;
    }
    req.resume();
    const key = `${Number(url.searchParams.get('round'))}/${url.searchParams.get('phase') ?? 'd1'}`;
    const answer = (body: string | null) => {
      if (body === null) res.writeHead(204).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    };
    const known = acks.get(key);
    if (known !== undefined) return answer(known);
    // Bounded: a puller asks again after LONG_POLL_MS with nothing.
    const timer = setTimeout(() => {
      const list = waiting.get(key) ?? [];
      waiting.set(
        key,
        list.filter((w) => w !== wake),
      );
      answer(null);
    }, LONG_POLL_MS);
    const wake = (body: string) => {
      clearTimeout(timer);
      answer(body);
    };
    waiting.set(key, [...(waiting.get(key) ?? []), wake]);
  };
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, o.host ?? '127.0.0.1', () => resolve());
  });
  // Never what keeps the run process alive.
  server.unref();
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}/events`,
    acksUrl: `http://${address}:${port}/acks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
