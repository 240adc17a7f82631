/**
 * The front's record of marked requests (lib/lab/front/trace-log.ts): a real HTTP server on
 * loopback whose handler is observed, the lab's clock a FakeClock moved inside the handler
 * so arrival and answer instants are exact.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../lib/clock';
import { TRACE_HEADER as K6_TRACE_HEADER } from '../../lib/k6/push-pull-race/puller';
import { TRACE_HEADER, TraceLog } from '../../lib/lab/front/trace-log';

const clock = new FakeClock(Date.UTC(2026, 0, 1));
const log = new TraceLog('westus', clock, 3);
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    log.observe(req, res);
    // the front's own checks take 2 ms, then the registry 5 ms of lab time to answer
    clock.advance(2);
    if (!req.url?.includes('refused')) log.forwarded(req);
    clock.advance(5);
    if (req.url?.startsWith('/drop')) return res.destroy();
    res.writeHead(req.url?.includes('missing') ? 404 : 200).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const get = (path: string, trace?: string) =>
  fetch(`${base}${path}`, { headers: trace === undefined ? {} : { [TRACE_HEADER]: trace } }).then(
    (r) => r.status,
    () => 0,
  );
/** The record is pushed on the response's finish/close: wait (bounded) until the newest is in. */
const settle = (id: string) =>
  vi.waitFor(() => expect(log.since(0).some((t) => t.id === id)).toBe(true), { timeout: 5000 });

describe('TraceLog', () => {
  it('k6 marks with the header the front reads', () => {
    expect(K6_TRACE_HEADER).toBe(TRACE_HEADER);
  });

  it('records a marked request: arrival and answer on the lab clock, the status, the path without its query', async () => {
    const t0 = clock.now();
    expect(await get('/v2/app/manifests/missing?x=1', 'n1/0/3.1')).toBe(404);
    await settle('n1/0/3.1');
    expect(log.since(t0)).toEqual([
      {
        id: 'n1/0/3.1',
        region: 'westus',
        method: 'GET',
        path: '/v2/app/manifests/missing',
        arrivedMs: t0,
        forwardedMs: t0 + 2,
        answeredMs: t0 + 7,
        status: 404,
      },
    ]);
  });

  it('ignores unmarked requests and ids it would not keep (too long, separators)', async () => {
    const t0 = clock.now();
    await get('/v2/app/manifests/v1');
    await get('/v2/app/manifests/v1', 'a b');
    await get('/v2/app/manifests/v1', 'x'.repeat(129));
    // a marked request after them: once it is in, the others would have been
    await get('/v2/app/manifests/v1', 'last.1');
    await settle('last.1');
    expect(log.since(t0).map((t) => t.id)).toEqual(['last.1']);
  });

  it('a connection closed before an answer is status 0; the ring keeps the newest; since() filters by arrival', async () => {
    const t0 = clock.now();
    await get('/drop/refused', 'd.1');
    await get('/v2/app/manifests/v1', 'a.1');
    await get('/v2/app/manifests/v1', 'b.1');
    await settle('b.1');
    expect(log.since(t0).map((t) => [t.id, t.status, t.forwardedMs])).toEqual([
      ['d.1', 0, null],
      ['a.1', 200, t0 + 7 + 2],
      ['b.1', 200, t0 + 14 + 2],
    ]);
    await get('/v2/app/manifests/v1', 'c.1');
    await settle('c.1');
    expect(log.since(0).map((t) => t.id)).toEqual(['a.1', 'b.1', 'c.1']);
    expect(log.since(t0 + 100).map((t) => t.id)).toEqual([]);
  });
});
