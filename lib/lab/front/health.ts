/**
 * The region's Health Monitor (acr-health-aware-failover): a loop that checks the
 * registry server, the auth pipeline and every storage backend of the region, and a
 * per-registry deep-health verdict built from the dependencies *that registry* uses (its
 * home backends), so a storage failure fails over only the registries homed there.
 *
 * - A dependency makes a registry unhealthy only after failing continuously for
 *   `health.sustainS` (a transient blip never fails a region over).
 * - Fail open: if the monitor itself is broken (fault `health-monitor-crash`, a check
 *   loop that throws, or results gone stale) the verdict is healthy with detail
 *   "monitor unavailable", preserving plain latency routing instead of a false failover.
 */
import { type Dispatcher, request } from 'undici';
import { type Clock, type ClockTimer, systemClock } from '../../clock';
import type { AuthService } from '../auth';
import { activeBackends, type LabState } from '../state';
import { type BackendHandle, HEALTH_PATH, homeBackends, storageScheme, type UrlSigner } from '../storage';
import type { RegionAddr } from '../topology';
import { frontFaults } from './faults';

export interface DependencyHealth {
  name: string;
  ok: boolean;
  detail: string;
  /** When the current run of failures began (ms since epoch); null while passing. */
  failingSince: number | null;
}

export interface DeepHealth {
  healthy: boolean;
  registry: string;
  region: string;
  detail: string;
  dependencies: Array<{ name: string; ok: boolean; failingForS: number; detail: string }>;
}

export interface HealthMonitor {
  evaluate(reg: string): DeepHealth;
  stop(): void;
}

const PROBE_TIMEOUT_MS = 2000;

export function startHealthMonitor(
  state: LabState,
  region: RegionAddr,
  deps: {
    registryUrl: string;
    auth: AuthService;
    backends: BackendHandle[];
    signer: UrlSigner;
    dispatcher: Dispatcher;
    onTick?: () => void;
    /** Default the system clock; tests drive the loop and the sustain window on a FakeClock. */
    clock?: Clock;
    /** The checks of one tick, name -> [ok, detail]; default the HTTP probes below (tests inject). */
    check?: () => Promise<Array<[string, boolean, string]>>;
  },
): HealthMonitor {
  const clock = deps.clock ?? systemClock;
  const results = new Map<string, DependencyHealth>();
  let lastTick = 0;
  let broken: string | null = null;
  let stopped = false;
  let timer: ClockTimer | undefined;
  const intervalMs = () => state.config.health.checkIntervalS * 1000;

  const httpOk = async (url: string, method: 'GET' | 'HEAD', host?: string): Promise<[boolean, string]> => {
    try {
      const r = await request(url, {
        method,
        dispatcher: deps.dispatcher,
        headers: host ? { host } : {},
        headersTimeout: PROBE_TIMEOUT_MS,
        bodyTimeout: PROBE_TIMEOUT_MS,
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      await r.body.dump();
      return [r.statusCode === 200, `HTTP ${r.statusCode}`];
    } catch (e) {
      return [false, (e as Error).message || String(e)];
    }
  };

  const record = (name: string, ok: boolean, detail: string, now: number) => {
    const prev = results.get(name);
    results.set(name, { name, ok, detail, failingSince: ok ? null : (prev?.failingSince ?? now) });
  };

  const httpChecks = () => {
    const checks: Array<Promise<[string, boolean, string]>> = [
      httpOk(`${deps.registryUrl}/v2/`, 'GET').then(([ok, d]) => ['registry', ok, d]),
      deps.auth.probe().then(({ ok, detail }) => ['auth', ok, detail] as [string, boolean, string]),
      ...deps.backends.map((b) => {
        const path = `${HEALTH_PATH}?${deps.signer.sign('HEAD', b.addr.host, HEALTH_PATH, 60)}`;
        return httpOk(
          `${storageScheme(state)}://${b.addr.ip}:${b.addr.port}${path}`,
          'HEAD',
          b.addr.host,
        ).then(([ok, d]) => [`storage:${b.addr.id}`, ok, d] as [string, boolean, string]);
      }),
    ];
    return Promise.all(checks);
  };

  const tick = async () => {
    if (frontFaults(state, region.name).monitorCrashed) throw new Error('health monitor crashed');
    const done = await (deps.check ?? httpChecks)();
    const now = clock.now();
    for (const [name, ok, detail] of done) record(name, ok, detail, now);
    lastTick = now;
  };

  const loop = async () => {
    if (stopped) return;
    try {
      await tick();
      broken = null;
    } catch (e) {
      broken = (e as Error).message;
      // a crashed monitor observed nothing: failure runs restart when it comes back
      results.clear();
    }
    deps.onTick?.();
    if (!stopped) {
      timer = clock.setTimeout(loop, intervalMs());
      timer.unref();
    }
  };
  void loop();

  return {
    evaluate(reg) {
      const now = clock.now();
      const base = { registry: reg, region: region.name };
      const stale = now - lastTick > 3 * intervalMs() + PROBE_TIMEOUT_MS * 2;
      if (broken || lastTick === 0 || stale)
        return {
          ...base,
          healthy: true,
          detail: `monitor unavailable (${broken ?? (lastTick === 0 ? 'starting' : 'stale results')}): failing open`,
          dependencies: [],
        };
      const names = [
        'registry',
        'auth',
        ...homeBackends(reg, activeBackends(state, region.backends), state.config.storage.homeBackends).map(
          (b) => `storage:${b.id}`,
        ),
      ];
      const sustainMs = state.config.health.sustainS * 1000;
      const dependencies = names.map((n) => {
        const r = results.get(n);
        const failingForS = r?.failingSince != null ? (now - r.failingSince) / 1000 : 0;
        return { name: n, ok: r?.ok ?? true, failingForS, detail: r?.detail ?? 'not checked yet' };
      });
      const failed = dependencies.filter((d) => !d.ok && d.failingForS * 1000 >= sustainMs);
      const failing = dependencies.filter((d) => !d.ok);
      return {
        ...base,
        healthy: failed.length === 0,
        detail: failed.length
          ? `unhealthy: ${failed.map((d) => `${d.name} failing ${d.failingForS.toFixed(1)}s`).join(', ')}`
          : failing.length
            ? `healthy (tolerating: ${failing.map((d) => `${d.name} failing ${d.failingForS.toFixed(1)}s`).join(', ')})`
            : 'healthy',
        dependencies,
      };
    },
    stop() {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
    },
  };
}
