/**
 * Traffic Manager's endpoint monitor: one probe loop per (registry, region) endpoint.
 *
 * Azure's definition (MonitorConfig.toleratedNumberOfFailures): "the number of consecutive
 * failed health checks that Traffic Manager tolerates before declaring an endpoint Degraded
 * after the next failed health check". So an endpoint is Degraded once its consecutive
 * failures exceed the tolerated number (tolerated 0: the first failure degrades; the default
 * 3: the fourth). The first success brings it back (no cooldown). Only a 200 counts as a
 * success; any other status, a connection error or the timeout is a failure.
 *
 * Probes run on a fixed schedule (start, start + interval, ...); a probe still running
 * when its next slot comes makes that slot skip, so each endpoint has at most one probe in
 * flight and every probe is bounded by the timeout. All timers are unref'd.
 */
import { request } from 'node:http';
import { type Clock, type ClockTimer, systemClock } from '../../clock';
import type { LabState } from '../state';
import type { RegionAddr } from '../topology';
import { regionalHost } from '../topology';

/** Resolves true for healthy. May reject (counted as a failure). */
export type ProbeFn = (region: RegionAddr, registry: string, timeoutMs: number) => Promise<boolean>;

export interface ProbeResult {
  at: number;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface EndpointHealth {
  registry: string;
  region: string;
  target: string;
  /** TM's monitor status: Online or Degraded (CheckingEndpoint until the first probe ends). */
  status: 'checking' | 'online' | 'degraded';
  consecutiveFailures: number;
  degradedSince: number | null;
  lastProbe: ProbeResult | null;
  probes: number;
  failures: number;
  /** Slots skipped because the previous probe was still running. */
  skipped: number;
  transitions: Array<{ at: number; to: 'online' | 'degraded' }>;
}

/** GET http://<front>:<port>/_health/deep with Host <reg>.<region>.geo.<domain>: 200 = healthy. */
export function httpDeepHealthProbe(state: LabState): ProbeFn & { abortAll(): void } {
  const open = new Set<() => void>();
  const fn: ProbeFn = (region, registry, timeoutMs) =>
    new Promise((resolve) => {
      const host = regionalHost(registry, region.name, state.topology.domain);
      let settled = false;
      const done = (ok: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        open.delete(abort);
        resolve(ok);
      };
      const abort = () => {
        req.destroy(new Error('monitor stopped'));
        done(false);
      };
      const req = request(
        {
          host: region.frontIp,
          port: state.topology.port,
          path: '/_health/deep',
          method: 'GET',
          headers: { host, 'user-agent': 'stampede-lab-traffic-manager', connection: 'close' },
          agent: false,
        },
        (res) => {
          const ok = res.statusCode === 200;
          res.resume();
          res.on('end', () => done(ok));
          res.on('error', () => done(false));
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new Error('probe timeout'));
        done(false);
      }, timeoutMs);
      timer.unref();
      req.on('error', () => done(false));
      open.add(abort);
      req.end();
    });
  return Object.assign(fn, {
    abortAll() {
      for (const a of [...open]) a();
    },
  });
}

export interface Monitor {
  endpoints(): EndpointHealth[];
  degraded(registry: string, region: string): boolean;
  stop(): void;
}

export function startMonitor(
  state: LabState,
  probe: ProbeFn,
  onChange: (e: EndpointHealth) => void = () => {},
  clock: Clock = systemClock,
): Monitor {
  const cfg = state.config.dns;
  const intervalMs = cfg.probeIntervalS * 1000;
  const timeoutMs = cfg.probeTimeoutS * 1000;
  const tolerated = cfg.toleratedFailures;
  const loops: Array<{ health: EndpointHealth; timer?: ClockTimer; inFlight: boolean }> = [];
  let stopped = false;

  const runOne = async (loop: (typeof loops)[number], region: RegionAddr): Promise<void> => {
    const h = loop.health;
    loop.inFlight = true;
    const t0 = clock.now();
    let ok = false;
    let detail = '';
    let guard: ClockTimer | undefined;
    try {
      // The probe enforces its own timeout; this guard bounds an injected one too.
      const timedOut = new Promise<boolean>((resolve) => {
        guard = clock.setTimeout(() => {
          detail = `timeout after ${timeoutMs} ms`;
          resolve(false);
        }, timeoutMs + 50);
        guard.unref();
      });
      ok = await Promise.race([probe(region, h.registry, timeoutMs), timedOut]);
      if (!ok && !detail) detail = 'unhealthy';
    } catch (err) {
      ok = false;
      detail = err instanceof Error ? err.message : String(err);
    } finally {
      clock.clearTimeout(guard);
      loop.inFlight = false;
    }
    if (stopped) return;
    const at = clock.now();
    h.probes++;
    h.lastProbe = { at, ok, ms: at - t0, detail: ok ? 'ok' : detail };
    const before = h.status;
    if (ok) {
      h.consecutiveFailures = 0;
      h.status = 'online';
      h.degradedSince = null;
    } else {
      h.failures++;
      h.consecutiveFailures++;
      if (h.consecutiveFailures > tolerated) {
        if (h.status !== 'degraded') h.degradedSince = at;
        h.status = 'degraded';
      } else if (h.status === 'checking') h.status = 'online';
    }
    const now = h.status;
    if (now !== before) {
      h.transitions.push({ at, to: now });
      if (h.transitions.length > 50) h.transitions.shift();
      onChange(h);
    }
  };

  const start = clock.now();
  for (const reg of state.config.registry.names)
    for (const region of state.topology.regions) {
      const loop: (typeof loops)[number] = {
        inFlight: false,
        health: {
          registry: reg,
          region: region.name,
          target: region.frontIp,
          status: 'checking',
          consecutiveFailures: 0,
          degradedSince: null,
          lastProbe: null,
          probes: 0,
          failures: 0,
          skipped: 0,
          transitions: [],
        },
      };
      loops.push(loop);
      let slot = 0;
      const tick = () => {
        if (stopped) return;
        if (loop.inFlight) loop.health.skipped++;
        else void runOne(loop, region);
        slot++;
        // Fixed rate against the start time, so slow probes don't drift the schedule.
        loop.timer = clock.setTimeout(tick, Math.max(0, start + slot * intervalMs - clock.now()));
        loop.timer.unref();
      };
      tick();
    }

  return {
    endpoints: () => loops.map((l) => ({ ...l.health, transitions: [...l.health.transitions] })),
    degraded: (registry, region) =>
      loops.some(
        (l) => l.health.registry === registry && l.health.region === region && l.health.status === 'degraded',
      ),
    stop() {
      stopped = true;
      for (const l of loops) clock.clearTimeout(l.timer);
      (probe as Partial<{ abortAll(): void }>).abortAll?.();
    },
  };
}
