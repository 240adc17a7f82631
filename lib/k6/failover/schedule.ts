/**
 * The fault schedule that runs beside k6 (ScenarioDef.duringRun): at faultAtS it injects
 * the fault in the clients' region through the lab API, at clearAtS it clears it, and
 * meanwhile it watches the lab: the start of a probe of the faulted endpoint (the probe
 * clock's phase), the moments the lab DNS answered the global name (k6's cache refreshes,
 * from its per-endpoint answer counter polled every POLL_MS), and Traffic Manager's
 * transitions. Everything is written to <run dir>/failover-schedule.json, which the
 * scenario's summary reads. Times are the lab's own stamps where it has them (the fault's
 * `since`); the host and the lab share one clock.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabClient } from '../../lab/lab-client';
import { globalHost } from '../../lab/topology';
import { appendMarker } from '../markers';
import type { DuringRun, LabInfo } from '../scenario';
import type { FailoverSchedule } from './measure';
import type { FailoverRunParams } from './params';

export const SCHEDULE_FILE = 'failover-schedule.json';
const POLL_MS = 100;

/** Sleeps until `atMs` or the signal, whichever first; true if the time came. */
async function until(atMs: number, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted && Date.now() < atMs) {
    const wait = Math.min(POLL_MS, atMs - Date.now());
    await new Promise((r) => setTimeout(r, Math.max(1, wait)));
  }
  return !signal.aborted;
}

/** The lab fault body for a run fault in `region`. */
export function faultBody(p: FailoverRunParams, region: string): Record<string, unknown> {
  const params: Record<string, number> = {};
  if (p.fault.kind === 'front-errors') params.errorRate = p.fault.rate;
  if (p.fault.kind === 'throttle') params.rate = p.fault.rate;
  return { kind: p.fault.kind, region, params };
}

export async function runFaultSchedule(
  run: DuringRun<FailoverRunParams> & { lab: { client: LabClient; info: LabInfo }; outDir: string },
  registry: string,
): Promise<FailoverSchedule> {
  const { params: p, signal } = run;
  const { client, info } = run.lab;
  const t0Ms = Date.now();
  const home = info.config.regions.clientRegion;
  const regions = [home, ...info.config.regions.names.filter((r) => r !== home)];
  const name = globalHost(registry, info.topology.domain);
  const schedule: FailoverSchedule = {
    t0Ms,
    home,
    regions,
    fault: { kind: p.fault.kind, region: home, sinceMs: null, clearedMs: null },
    transitions: [],
    probeAtMs: null,
    lookupsMs: [],
    settings: { ...p.lab },
  };

  // DNS answers for the global name, polled: each increase is a lookup (k6 refilling its cache).
  let answered = -1;
  let lastPoll = t0Ms;
  let polling = true;
  const poller = (async () => {
    while (polling && !signal.aborted) {
      try {
        const st = await client.status();
        const now = Date.now();
        const n = Object.values(st.dns.queries.endpointReturned[name] ?? {}).reduce((a, b) => a + b, 0);
        if (answered >= 0 && n > answered) schedule.lookupsMs.push(Math.round((lastPoll + now) / 2));
        answered = n;
        lastPoll = now;
      } catch {
        // a slow answer: the next poll catches up
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();

  let faultId: string | undefined;
  try {
    if (await until(t0Ms + p.faultAtS * 1000, signal)) {
      const f = await client.addFault(faultBody(p, home));
      faultId = f.id;
      schedule.fault.sinceMs = f.since;
      run.io.err(`failover: ${p.fault.kind} in ${home} at ${((f.since - t0Ms) / 1000).toFixed(1)} s`);
      const ep = (await client.status()).dns.endpoints.find(
        (e) => e.registry === registry && e.region === home,
      );
      if (ep?.lastProbe) schedule.probeAtMs = ep.lastProbe.at - ep.lastProbe.ms;
      if (await until(t0Ms + p.clearAtS * 1000, signal)) {
        const before = Date.now();
        await client.clearFault(f.id);
        schedule.fault.clearedMs = Math.round((before + Date.now()) / 2);
        faultId = undefined;
        run.io.err(`failover: cleared at ${((schedule.fault.clearedMs - t0Ms) / 1000).toFixed(1)} s`);
      }
    }
    // Let k6 finish (its gracefulStop), then read what Traffic Manager did.
    while (!signal.aborted) await new Promise((r) => setTimeout(r, POLL_MS));
  } finally {
    polling = false;
    await poller;
    // A run cut short must not leave the region broken for the next one.
    if (faultId !== undefined) {
      const before = Date.now();
      await client.clearFault(faultId).catch(() => {});
      schedule.fault.clearedMs = Math.round((before + Date.now()) / 2);
    }
    try {
      const st = await client.status();
      schedule.transitions = st.dns.endpoints
        .filter((e) => e.registry === registry)
        .flatMap((e) => e.transitions.map((t) => ({ atMs: t.at, region: e.region, to: t.to })))
        .filter((t) => t.atMs >= t0Ms)
        .sort((a, b) => a.atMs - b.atMs);
    } catch {
      // the lab went away: the run's own points still stand
    }
    writeFileSync(join(run.outDir, SCHEDULE_FILE), `${JSON.stringify(schedule, null, 2)}\n`);
    for (const m of scheduleMarkers(schedule)) appendMarker(run.outDir, m.kind, m.label, m.atMs);
  }
  return schedule;
}

/** The run's markers: the fault injected and cleared, each Traffic Manager switch. */
export function scheduleMarkers(s: FailoverSchedule): Array<{ kind: string; label: string; atMs: number }> {
  const out: Array<{ kind: string; label: string; atMs: number }> = [];
  if (s.fault.sinceMs !== null)
    out.push({
      kind: 'fault',
      label: `${s.fault.kind} injected in ${s.fault.region}`,
      atMs: s.fault.sinceMs,
    });
  if (s.fault.clearedMs !== null)
    out.push({ kind: 'fault', label: `${s.fault.kind} cleared`, atMs: s.fault.clearedMs });
  for (const t of s.transitions) out.push({ kind: 'dns', label: `DNS: ${t.region} ${t.to}`, atMs: t.atMs });
  return out;
}
