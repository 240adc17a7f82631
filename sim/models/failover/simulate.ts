/**
 * One failover run: the fault in one region, its health monitor, Traffic Manager's
 * probes, the DNS cache chain and a fleet of clients pulling continuously through the
 * global name. Pure: parameters and seed in, records out (callback API of sim/kernel).
 *
 * Same-instant order: fault changes, then health checks, then probe verdicts, then
 * clients, so a probe at the fault's instant already sees it.
 */
import { Env } from '../../kernel/env';
import { createRng } from '../../kernel/rng';
import { cacheChain } from './bounds';
import { type Answer, CacheLayer } from './dns-cache';
import { HealthMonitor, type RegionCondition } from './health-monitor';
import type { FailoverParams } from './params';
import { TrafficManager, type Transition } from './traffic-manager';

const P_FAULT = 0;
const P_HEALTH = 1;
const P_PROBE = 2;
const P_CLIENT = 3;

export interface ClientRecord {
  kind: 'client';
  client: number;
  node: number;
  /** F -> completion of the first successful request started at or after F; null: none. */
  failoverS: number | null;
  /** Failed requests started at or after F, before that success. */
  failedBeforeSuccess: number;
  /** F -> completion of the first success served by a region other than the client's; null: never. */
  switchedS: number | null;
  /** C -> completion of the first success served by the client's region again (clients that left). */
  failbackS: number | null;
  failedDuringFailback: number;
}

export interface BinRecord {
  kind: 'bin';
  t: number;
  region: string;
  served: number;
  failed: number;
}

export interface FailoverOutput {
  clients: ClientRecord[];
  bins: BinRecord[];
  transitions: Transition[];
  /** F -> faulted endpoint Degraded (or excluded); null when it never was. */
  detectionS: number | null;
  /** C -> faulted endpoint Online again (or re-enabled); null when it never left. */
  failbackDetectionS: number | null;
  errorsByCode: Record<string, number>;
  requests: number;
  events: number;
}

interface Request {
  client: ClientState;
  region: string;
  start: number;
  handle: ReturnType<Env['schedule']> | undefined;
}

interface ClientState {
  id: number;
  node: number;
  rec: ClientRecord;
  left: boolean;
}

export function simulateFailover(
  p: FailoverParams,
  seed: number,
  progress: (doneS: number, totalS: number) => void = () => {},
): FailoverOutput {
  const env = new Env();
  const rng = createRng(seed);
  const phaseRng = rng.fork(1);
  const clientRng = rng.fork(2);
  const requestRng = rng.fork(3);
  const f = p.fault;
  const duration = p.run.durationS;
  const home = p.regions.clientRegion;
  const order = [home, ...p.regions.names.filter((r) => r !== home)];

  let active = false;
  const isFaulted = (region: string) => active && region === f.region;
  const condition = (region: string): RegionCondition => {
    const on = isFaulted(region);
    const crash = on && (f.kind === 'health-monitor-crash' || p.health.crashDuringFault);
    return {
      down: on && f.kind === 'region-down',
      unreachable: on && f.kind === 'region-unreachable',
      dependencyFailing: on && f.kind === 'storage-fail',
      monitorCrashed: crash,
    };
  };

  const tm = new TrafficManager(
    order,
    p.trafficManager.toleratedFailures,
    p.trafficManager.agents,
    p.trafficManager.agentsToDegrade,
    (region) => f.kind === 'replica-exclude' && isFaulted(region),
  );

  // Health monitors: one per region, each with its own check clock.
  const monitors = new Map<string, HealthMonitor>();
  for (const region of order) {
    const m = new HealthMonitor(p.health.sustainS, () => condition(region));
    monitors.set(region, m);
    const h = p.health.checkIntervalS;
    const loop = () => {
      m.tick(env.now);
      env.schedule(h, loop, P_HEALTH);
    };
    env.at(phaseRng.uniform(0, h), loop, P_HEALTH);
  }

  // Probes: each agent on its own fixed-rate clock; the timeout is below the interval,
  // so an agent never has two probes of one endpoint in flight (the lab skips a slot then).
  const tmp = p.trafficManager;
  for (const region of order)
    for (let a = 0; a < tmp.agents; a++) {
      const offset =
        tmp.probePhase === 'fixed'
          ? (tmp.probeOffsetS + (a * tmp.probeIntervalS) / tmp.agents) % tmp.probeIntervalS
          : phaseRng.uniform(0, tmp.probeIntervalS);
      const probe = () => {
        const c = condition(region);
        if (c.unreachable)
          env.schedule(tmp.probeTimeoutS, () => tm.verdict(region, a, false, env.now), P_PROBE);
        else tm.verdict(region, a, monitors.get(region)?.healthy(env.now) ?? true, env.now);
        env.schedule(tmp.probeIntervalS, probe, P_PROBE);
      };
      env.at(offset, probe, P_PROBE);
    }

  // DNS: Traffic Manager at the bottom of each client's cache chain.
  const ageRng = rng.fork(4);
  const [cluster, node, own] = cacheChain(p).map((spec) => new CacheLayer(spec, () => ageRng.next())) as [
    CacheLayer,
    CacheLayer,
    CacheLayer,
  ];
  const fromTm = (now: number): Answer => ({ regions: tm.answer(), expiresAt: now + p.dns.ttlS });
  // Each query that reaches cluster DNS lands on one of its replicas (a Service: random).
  const replicaRng = rng.fork(5);
  const replicas = p.cache.clusterReplicas;
  const fromCluster = (u: number) => cluster.query(replicas > 1 ? replicaRng.int(replicas) : 0, u, fromTm);
  const resolve = (c: ClientState, now: number): Answer =>
    own.query(c.id, now, (t) => node.query(c.node, t, fromCluster));

  // Requests and their outcomes.
  const inFlight = new Map<string, Set<Request>>(order.map((r) => [r, new Set()]));
  const errorsByCode: Record<string, number> = {};
  const binCount = Math.ceil(duration / p.run.binS);
  const bins = new Map<string, { served: number[]; failed: number[] }>();
  const binOf = (region: string) => {
    let b = bins.get(region);
    if (!b) {
      b = { served: new Array(binCount).fill(0), failed: new Array(binCount).fill(0) };
      bins.set(region, b);
    }
    return b;
  };
  for (const r of order) binOf(r);
  let requests = 0;

  const finish = (req: Request, ok: boolean, code: string) => {
    const now = env.now;
    const c = req.client;
    const rec = c.rec;
    inFlight.get(req.region)?.delete(req);
    const bin = Math.min(binCount - 1, Math.floor(now / p.run.binS));
    const b = binOf(req.region);
    if (ok) (b.served[bin] as number)++;
    else {
      (b.failed[bin] as number)++;
      errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
    }
    if (req.start >= f.startS && req.start < f.clearS) {
      if (rec.failoverS === null) {
        if (ok) rec.failoverS = now - f.startS;
        else rec.failedBeforeSuccess++;
      }
      if (ok && req.region !== home && rec.switchedS === null) {
        rec.switchedS = now - f.startS;
        c.left = true;
      }
    }
    if (req.start >= f.clearS && c.left && rec.failbackS === null) {
      if (ok && req.region === home) rec.failbackS = now - f.clearS;
      else if (!ok) rec.failedDuringFailback++;
    }
    const next = now + p.clients.thinkS;
    if (next < duration) env.at(next, () => startRequest(c), P_CLIENT);
  };

  const startRequest = (c: ClientState) => {
    const now = env.now;
    requests++;
    const regions = resolve(c, now).regions;
    if (regions.length === 0) {
      const req: Request = { client: c, region: 'none', start: now, handle: undefined };
      env.schedule(p.clients.failS, () => finish(req, false, 'NO_ADDRESS'), P_CLIENT);
      return;
    }
    const region =
      p.clients.select === 'random'
        ? (regions[requestRng.int(regions.length)] as string)
        : (regions[0] as string);
    const req: Request = { client: c, region, start: now, handle: undefined };
    const fail = (after: number, code: string) =>
      env.schedule(after, () => finish(req, false, code), P_CLIENT);
    const cond = condition(region);
    const faulted = isFaulted(region);
    if (cond.down) return void fail(p.clients.failS, 'UNAVAILABLE');
    if (cond.unreachable) return void fail(p.clients.timeoutS, 'TIMEOUT');
    if (cond.dependencyFailing) return void fail(p.clients.failS, 'STORAGE_UNAVAILABLE');
    if (faulted && f.kind === 'front-errors' && requestRng.next() < f.rate)
      return void fail(p.clients.failS, 'UNKNOWN');
    if (faulted && f.kind === 'throttle' && requestRng.next() < f.rate)
      return void fail(p.clients.failS, 'TOOMANYREQUESTS');
    // A pull runs to its end on the region it started on (no mid-download reroute).
    inFlight.get(region)?.add(req);
    req.handle = env.schedule(p.clients.pullS, () => finish(req, true, ''), P_CLIENT);
  };

  const clients: ClientState[] = [];
  for (let id = 0; id < p.clients.count; id++) {
    const c: ClientState = {
      id,
      node: Math.floor(id / p.cache.clientsPerNode),
      left: false,
      rec: {
        kind: 'client',
        client: id,
        node: Math.floor(id / p.cache.clientsPerNode),
        failoverS: null,
        failedBeforeSuccess: 0,
        switchedS: null,
        failbackS: null,
        failedDuringFailback: 0,
      },
    };
    clients.push(c);
    env.at(clientRng.uniform(0, p.clients.pullS + p.clients.thinkS), () => startRequest(c), P_CLIENT);
  }

  // The fault: pulls in flight on the region fail when it breaks (an unreachable region
  // leaves them hanging until the client's timeout).
  env.at(
    f.startS,
    () => {
      active = true;
      const kind = f.kind;
      if (kind !== 'region-down' && kind !== 'region-unreachable' && kind !== 'storage-fail') return;
      for (const req of [...(inFlight.get(f.region) ?? [])]) {
        env.cancel(req.handle);
        const code =
          kind === 'region-down'
            ? 'UNAVAILABLE'
            : kind === 'storage-fail'
              ? 'STORAGE_UNAVAILABLE'
              : 'TIMEOUT';
        const at = kind === 'region-unreachable' ? req.start + p.clients.timeoutS : env.now;
        req.handle = env.at(Math.max(env.now, at), () => finish(req, false, code), P_CLIENT);
      }
    },
    P_FAULT,
  );
  if (f.clearS < duration)
    env.at(
      f.clearS,
      () => {
        active = false;
      },
      P_FAULT,
    );

  const chunks = 20;
  for (let k = 1; k <= chunks; k++) {
    env.run((duration * k) / chunks);
    progress((duration * k) / chunks, duration);
  }

  // Detection as seen in the answers: first Degraded (or exclusion) after F, first Online after C.
  let detectionS: number | null = null;
  let failbackDetectionS: number | null = null;
  if (f.kind === 'replica-exclude') {
    detectionS = 0;
    failbackDetectionS = f.clearS < duration ? 0 : null;
  } else {
    const mine = tm.transitions.filter((t) => t.region === f.region);
    const down = mine.find((t) => t.to === 'degraded' && t.t >= f.startS);
    if (down) {
      detectionS = down.t - f.startS;
      const up = mine.find((t) => t.to === 'online' && t.t >= Math.max(f.clearS, down.t));
      if (up) failbackDetectionS = up.t - f.clearS;
    }
  }

  const binRecords: BinRecord[] = [];
  for (let i = 0; i < binCount; i++)
    for (const [region, b] of bins)
      binRecords.push({
        kind: 'bin',
        t: i * p.run.binS,
        region,
        served: b.served[i] as number,
        failed: b.failed[i] as number,
      });

  return {
    clients: clients.map((c) => c.rec),
    bins: binRecords,
    transitions: tm.transitions,
    detectionS,
    failbackDetectionS,
    errorsByCode,
    requests,
    events: env.processed,
  };
}
