/**
 * Between the waves of a cache-stampede run: wave-1 VUs POST /done when their pull ends;
 * the run process (duringRun) opens the gate once all of them have and the lab reports the
 * image hydrated; wave-2 VUs hold GET /gate open (long poll, GATE_LONG_POLL_S at a time) until it opens.
 * k6 VUs share nothing, so this tiny loopback server is their meeting point (inside the
 * lab's namespace when there is one, where k6 runs too).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GATE_LONG_POLL_S } from './gate-poll';

const LONG_POLL_MS = GATE_LONG_POLL_S * 1000;

export interface WaveGate {
  url: string;
  done(): number;
  open(): void;
  close(): Promise<void>;
}

export async function startWaveGate(host = '127.0.0.1'): Promise<WaveGate> {
  let finished = 0;
  let opened = false;
  const waiting = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    req.resume();
    const path = new URL(req.url ?? '/', 'http://gate').pathname;
    const answer = (status: number) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ open: opened, finished }));
    };
    if (req.method === 'POST' && path === '/done') {
      finished++;
      return answer(200);
    }
    if (req.method === 'GET' && path === '/gate') {
      if (opened) return answer(200);
      const wake = () => {
        clearTimeout(timer);
        waiting.delete(wake);
        answer(opened ? 200 : 202);
      };
      const timer = setTimeout(wake, LONG_POLL_MS);
      waiting.add(wake);
      return;
    }
    answer(404);
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    done: () => finished,
    open() {
      opened = true;
      for (const w of [...waiting]) w();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of [...waiting]) w();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
