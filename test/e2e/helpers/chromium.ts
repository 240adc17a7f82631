/**
 * Headless Chromium driven over the DevTools protocol with nothing but undici's WebSocket:
 * enough for e2e tests to load a page, wait on a promise it exposes, collect console errors
 * and warnings and take screenshots, without puppeteer's download. One browser per test file; each
 * test opens its own page (a CDP session attached with flatten: true).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'undici';

export const CHROMIUM = process.env.STAMPEDE_CHROMIUM ?? '/usr/bin/chromium';

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { message: string };
  sessionId?: string;
}

type Listener = (params: Record<string, unknown>, sessionId: string | undefined) => void;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

class Cdp {
  private next = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private listeners = new Map<string, Set<Listener>>();
  constructor(private ws: WebSocket) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as CdpMessage;
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      } else if (msg.method) {
        for (const l of this.listeners.get(msg.method) ?? []) l(msg.params ?? {}, msg.sessionId);
      }
    });
    ws.addEventListener('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('DevTools connection closed'));
      this.pending.clear();
    });
  }
  send<T = Record<string, unknown>>(
    method: string,
    params: object = {},
    sessionId?: string,
    timeoutMs = 15_000,
  ): Promise<T> {
    const id = this.next++;
    const done = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return withTimeout(done, timeoutMs, method);
  }
  on(method: string, l: Listener): () => void {
    const set = this.listeners.get(method) ?? new Set();
    set.add(l);
    this.listeners.set(method, set);
    return () => set.delete(l);
  }
  close(): void {
    this.ws.close();
  }
}

/**
 * What a test must treat as a failure: errors, uncaught exceptions, failed asserts and
 * warnings (console.warn is 'warning'; vega-lite's "Dropping fit-y" is one: a chart laid
 * out other than its spec says).
 */
const PROBLEM_LEVELS = new Set(['error', 'exception', 'assert', 'warning', 'warn']);

export interface ConsoleEntry {
  level: string;
  text: string;
}

export interface Page {
  /** console.error/warn, log entries and uncaught exceptions seen since the page opened. */
  readonly console: ConsoleEntry[];
  /** The entries a test fails on: errors, exceptions, asserts and warnings. */
  readonly errors: () => ConsoleEntry[];
  navigate(url: string, timeoutMs?: number): Promise<void>;
  /** Evaluates an expression; promises are awaited. Throws on a page-side exception. */
  evaluate<T>(expression: string, timeoutMs?: number): Promise<T>;
  screenshot(path: string, opts?: { fullPage?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export interface Browser {
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Starts Chromium, a second time if the first start does not answer: once in a fresh-clone
 * CI run on this shared machine Chromium printed no DevTools banner within 20 s (ci12) and
 * the whole render suite was lost to it. A start that fails twice is a real failure.
 */
export async function launchChromium(timeoutMs = 30_000): Promise<Browser> {
  try {
    return await startChromium(timeoutMs);
  } catch (e) {
    console.warn(`chromium did not start (${(e as Error).message.split('\n')[0]}); trying once more`);
    return startChromium(timeoutMs);
  }
}

/** Starts Chromium on a free port (port 0; the port is read from its stderr banner). */
async function startChromium(timeoutMs: number): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'stampede-chromium-'));
  const child: ChildProcess = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      '--remote-debugging-port=0',
      'about:blank',
    ],
    // Own process group: close() can end Chromium and its helpers by this one id.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  const wsUrl = await withTimeout(
    new Promise<string>((resolve, reject) => {
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', (code) =>
        reject(new Error(`chromium exited (${code}) before DevTools was up:\n${stderr.slice(-2000)}`)),
      );
      child.once('error', reject);
    }),
    timeoutMs,
    'chromium start',
  ).catch((e: unknown) => {
    kill(child);
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}; chromium's stderr: ${stderr.slice(-1000) || '(empty)'}`);
  });
  const ws = new WebSocket(wsUrl);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${wsUrl}`)));
    }),
    timeoutMs,
    'DevTools connect',
  );
  const cdp = new Cdp(ws);

  return {
    async newPage(viewport = { width: 1280, height: 900 }) {
      const { targetId } = await cdp.send<{ targetId: string }>('Target.createTarget', {
        url: 'about:blank',
      });
      const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
        targetId,
        flatten: true,
      });
      const entries: ConsoleEntry[] = [];
      const mine =
        (l: Listener): Listener =>
        (p, s) =>
          s === sessionId && l(p, s);
      const offs = [
        cdp.on(
          'Runtime.consoleAPICalled',
          mine((p) => {
            const args = (p.args as Array<{ value?: unknown; description?: string }>) ?? [];
            entries.push({
              level: String(p.type),
              text: args.map((a) => a.description ?? String(a.value)).join(' '),
            });
          }),
        ),
        cdp.on(
          'Runtime.exceptionThrown',
          mine((p) => {
            const d = p.exceptionDetails as { text?: string; exception?: { description?: string } };
            entries.push({ level: 'exception', text: d.exception?.description ?? d.text ?? 'exception' });
          }),
        ),
        cdp.on(
          'Log.entryAdded',
          mine((p) => {
            const e = p.entry as { level: string; text: string; url?: string };
            entries.push({ level: e.level, text: `${e.text}${e.url ? ` (${e.url})` : ''}` });
          }),
        ),
      ];
      const send = <T>(m: string, params: object = {}, t?: number) => cdp.send<T>(m, params, sessionId, t);
      await Promise.all([send('Runtime.enable'), send('Log.enable'), send('Page.enable')]);
      await send('Emulation.setDeviceMetricsOverride', { ...viewport, deviceScaleFactor: 1, mobile: false });
      return {
        console: entries,
        errors: () => entries.filter((e) => PROBLEM_LEVELS.has(e.level)),
        async navigate(url, t = 30_000) {
          const loaded = new Promise<void>((resolve) => {
            const off = cdp.on(
              'Page.loadEventFired',
              mine(() => {
                off();
                resolve();
              }),
            );
          });
          const nav = await send<{ errorText?: string }>('Page.navigate', { url }, t);
          if (nav.errorText) throw new Error(`navigate ${url}: ${nav.errorText}`);
          await withTimeout(loaded, t, `load ${url}`);
        },
        async evaluate<T>(expression: string, t = 30_000) {
          const r = await send<{
            result: { value?: unknown };
            exceptionDetails?: { text: string; exception?: { description?: string } };
          }>(
            'Runtime.evaluate',
            { expression, awaitPromise: true, returnByValue: true, timeout: t },
            t + 1000,
          );
          if (r.exceptionDetails)
            throw new Error(
              `page exception: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`,
            );
          return r.result.value as T;
        },
        async screenshot(path, opts = {}) {
          const { data } = await send<{ data: string }>(
            'Page.captureScreenshot',
            { format: 'png', captureBeyondViewport: opts.fullPage ?? true },
            30_000,
          );
          writeFileSync(path, Buffer.from(data, 'base64'));
          return path;
        },
        async close() {
          for (const off of offs) off();
          await cdp.send('Target.closeTarget', { targetId }).catch(() => undefined);
        },
      };
    },
    async close() {
      await cdp.send('Browser.close', {}, undefined, 3000).catch(() => undefined);
      cdp.close();
      await withTimeout(
        new Promise<void>((resolve) =>
          child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
        ),
        5000,
        'chromium exit',
      ).catch(() => kill(child));
      kill(child);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

function kill(child: ChildProcess): void {
  // The whole group, even after the main process exited: helper processes may linger.
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone: nothing to clean up.
  }
}
