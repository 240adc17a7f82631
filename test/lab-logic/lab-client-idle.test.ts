import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labClient } from '../../lib/lab/lab-client';

/**
 * The lab API answers from another process, which closes an idle connection after its
 * keep-alive timeout (Node's default 5 s; 2.1 s here: Node's agent keeps no socket whose
 * advertised timeout is under 2 s). A caller whose event loop is blocked well past that (the
 * copy-sweep bench ran `sim calibrate` synchronously between lab calls) must not send its
 * next call down the connection the server closed meanwhile: with Node's keep-alive agent
 * that was `PUT /storage: write EPIPE` (this test fails so without `agent: false`).
 */
const SERVER = `
const { createServer } = require('node:http');
const srv = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end(JSON.stringify({ ok: true, name: 'idle', pid: process.pid })));
});
srv.keepAliveTimeout = 2100;
srv.listen(process.argv[1], () => process.stdout.write('up\\n'));
`;

describe('lab client after its event loop was blocked past the server keep-alive', () => {
  let dir: string;
  let server: ChildProcess;
  let sock: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stampede-idle-'));
    sock = join(dir, 'api.sock');
    server = spawn(process.execPath, ['-e', SERVER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      server.stdout?.once('data', () => resolve());
      server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
  });
  afterAll(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every call after a 4.5 s block is answered (PUT /storage, as the bench)', async () => {
    const lab = labClient(sock, { timeoutMs: 5000 });
    const pids: number[] = [];
    for (let i = 0; i < 2; i++) {
      pids.push(((await lab.setStorage({ copies: 1 })) as unknown as { pid: number }).pid);
      await new Promise((r) => setTimeout(r, 20));
      const t = Date.now();
      while (Date.now() - t < 4500) {
        // blocked, as a synchronous calibration blocks the bench
      }
      pids.push(((await lab.setStorage({ copies: 1 })) as unknown as { pid: number }).pid);
    }
    expect(pids).toEqual(Array(4).fill(server.pid));
  });
});
