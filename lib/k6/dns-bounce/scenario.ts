/**
 * The dns-bounce scenario (k6 entry: scenarios/dns-bounce.ts): pushes of multi-layer images
 * through the global name while the lab's DNS flaps between regions, one k6 scenario per
 * mitigation at the same time. In the lab the flap (the `dns-flap` fault) is set before k6
 * starts and cleared when it is done; the pusher's credentials come from the lab's
 * identity stand-in. The envelope has a point per mitigation and the scatter model's twin
 * of the run beside the measured shares.
 */
import { dnsBounceScatterChart } from '../../../reports/charts/dns-bounce-scatter';
import { replicationLagCdfChart } from '../../../reports/charts/replication-lag-cdf';
import { sleep, systemClock } from '../../clock';
import { InputError, RunError } from '../../errors';
import { readIdentityRecord } from '../../lab/identity';
import { labClient } from '../../lab/lab-client';
import { regionalHost } from '../../lab/topology';
import type { Envelope, Metrics } from '../../results/envelope';
import { labTarget } from '../lab-target';
import { defineScenario } from '../scenario';
import { lagMetrics, pollLags, readLags, runLags, writeLags } from './lags';
import { bounceTwin } from './model';
import { type DnsBounceParams, dnsBounceSchema } from './params';
import { summarizeBounce } from './summary';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
/**
 * How often the run reads the lab's replication events. The lab keeps its newest 200 per
 * region: at the e2e's ~3.6 pushes/s that is ~55 s of events, so 5 s leaves a wide margin
 * (a shortfall shows as replicationLagS.n below .expected), while each status read costs
 * the lab work that competes with the pushes being measured.
 */
const LAG_POLL_MS = 5000;

export const dnsBounceScenario = defineScenario<DnsBounceParams>({
  name: 'dns-bounce',
  summary:
    'pushes through a flapping global name: scattered pushes per mitigation (none, regional, dns-pin, retry-push)',
  help: `
Each mitigation is its own k6 scenario, all at the same time, each pushing \`pushes\` images
(a fresh config blob and \`layers\` fresh layers, then the manifest). A push scattered when
its sub-requests were answered from more than one address (k6's remote_ip of each): an
upload continued on another replica fails BLOB_UPLOAD_UNKNOWN, a manifest on a replica
without its blobs MANIFEST_BLOB_UNKNOWN. dns-pin resolves once per push through k6's own
resolver (GET /v2/, its remote address) and sends the rest of the push to that address
with the name in the Host header (http targets only). With a registry URL target,
\`regional\` needs --set regionalUrl=https://<reg>.<region>.geo.azurecr.io.`,
  schema: dnsBounceSchema,
  script: 'dns-bounce',
  labOnly: ['flap', 'registry'],
  progress: { metric: 'pushes', unit: 'pushes', total: (p) => p.pushes * p.mitigations.length },
  maxDurationS: (p) => p.maxDurationS,
  async prepareLab(lab, p) {
    const { config, topology: topo } = lab;
    if (p.flap.on && !lab.netns)
      throw new RunError(
        'NO_LAB_DNS',
        'dns-bounce needs the lab DNS (a lab in its own namespace): without it k6 resolves the global name from a fixed hosts table and never sees the flap',
      );
    const t = labTarget(lab, { registry: p.registry, endpoint: 'global' });
    if (!config.registry.names.includes(t.registry))
      throw new InputError('registry', `one of ${config.registry.names.join(', ')}`, p.registry);
    const record = readIdentityRecord(topo.stateDir);
    const pusher = record.clients.find((c) => c.name === 'pusher');
    if (!pusher) throw new RunError('NO_PUSHER', 'the lab identity has no pusher client');
    const names = topo.regions.map((r) => r.name);
    const regions = p.flap.regions ? p.flap.regions.split(',') : names;
    for (const r of regions)
      if (!names.includes(r))
        throw new InputError('flap.regions', `regions of this lab (${names.join(', ')})`, p.flap.regions);
    if (p.flap.on && regions.length < 2)
      throw new InputError(
        'flap.regions',
        'at least 2 regions to flap between (start the lab with 2 or more)',
        names.join(','),
      );
    const regionalBase = `http://${regionalHost(t.registry, config.regions.clientRegion, topo.domain)}:${topo.port}`;
    const env = {
      ...t.env,
      STAMPEDE_AAD_CLIENT_ID: pusher.clientId,
      STAMPEDE_AAD_CLIENT_SECRET: pusher.clientSecret,
      STAMPEDE_REGIONAL_BASE: regionalBase,
    };
    const flap = { on: p.flap.on, intervalS: p.flap.intervalS, ttlS: p.flap.ttlS, regions };
    if (!p.flap.on) return { ...t, env, describe: { ...t.describe, regionalBase, flap } };
    const api = labClient(topo.apiSocket);
    // The lab answers the earliest flap of a registry: another one would be in force, not ours.
    const other = (await api.faults()).find((f) => f.kind === 'dns-flap');
    if (other)
      throw new RunError(
        'FLAP_ACTIVE',
        `a dns-flap fault (${other.id}) is already set on lab ${config.lab.name}: clear it first (stampede lab fault clear ${other.id} --name ${config.lab.name})`,
      );
    const fault = await api.addFault({
      kind: 'dns-flap',
      params: { regions, intervalS: p.flap.intervalS, ttlS: p.flap.ttlS, registry: [t.registry] },
    });
    return {
      ...t,
      env,
      describe: { ...t.describe, regionalBase, flap: { ...flap, faultId: fault.id } },
      notes: [
        `dns-flap ${fault.id}: ${t.registry}'s global name alternates ${regions.join(' -> ')} every ${p.flap.intervalS}s (ttl ${p.flap.ttlS}s) until k6 is done`,
      ],
      markers: [flapMarker(regions, p.flap.intervalS, fault.since)],
      cleanup: () => api.clearFault(fault.id),
    };
  },
  checkTarget(p, base) {
    if (p.mitigations.includes('regional') && !p.regionalUrl)
      throw new InputError(
        'regionalUrl',
        'the regional endpoint to push through with mitigation regional, e.g. https://myreg.eastus.geo.azurecr.io (or leave regional out of mitigations)',
        p.regionalUrl,
      );
    if (p.mitigations.includes('dns-pin') && base.startsWith('https:'))
      throw new InputError(
        'mitigations',
        'no dns-pin with an https target: the pin sends to the resolved address, whose certificate check fails (use regional)',
        p.mitigations.join(','),
      );
  },
  plan(p, base) {
    const n = p.pushes * p.mitigations.length;
    const blobs = p.layers + 1;
    const chunks = p.chunkSize > 0 ? Math.ceil(p.layerBytes / p.chunkSize) : 0;
    const perPush = 2 + blobs * 2 + p.layers * chunks + 1;
    return {
      endpoints: [
        `GET  ${base}/v2/  (401 challenge) and the token realm, every push attempt`,
        `POST ${base}/v2/${p.repository}/blobs/uploads/ then ${p.chunkSize ? 'PATCH per chunk and ' : ''}PUT per blob (config + ${p.layers} layers)`,
        `PUT  ${base}/v2/${p.repository}/manifests/<mitigation-vu-push-attempt>`,
        ...(p.regionalUrl ? [`the same through ${p.regionalUrl} (mitigation regional)`] : []),
      ],
      requests: `≥ ${n * perPush} (${n} pushes × ${perPush}; retry-push up to ${1 + p.retries} attempts)`,
      bytes: `≈ ${n * p.layers * p.layerBytes} B sent (${n} pushes × ${p.layers} × ${p.layerBytes} B)`,
    };
  },
  summaryMetrics: ['pushes', 'push_attempts', 'push_span'],
  async duringRun({ lab, signal, outDir, params }) {
    if (!lab || !outDir) return;
    const sinceMs = systemClock.now();
    const lags = await pollLags({
      read: async () => {
        const regions = Object.values((await lab.client.status()).replication.regions);
        return {
          events: regions.flatMap((r) => r.events),
          backlog: regions.reduce((a, r) => a + r.backlog.items, 0),
        };
      },
      repository: params.repository,
      sinceMs,
      signal,
      pollMs: LAG_POLL_MS,
      maxPolls: Math.ceil(((params.maxDurationS + 120) * 1000) / LAG_POLL_MS),
      drainPolls: Math.ceil((params.lagDrainS * 1000) / LAG_POLL_MS),
      // A nap while k6 runs ends when it exits; after that (the lab still replicating the last
      // pushes) naps run whole.
      sleep: (ms) => sleep(systemClock, ms, signal.aborted ? undefined : signal).catch(() => {}),
    });
    writeLags(outDir, { sinceMs, lags });
  },
  summarize({ envelope, records, params, outDir, labStatus }) {
    const { metrics, points } = bounceEnvelope(envelope, records, params);
    // The run's landings seen while it ran, and any still in the lab's events after it.
    const seen = readLags(outDir);
    const after =
      seen && labStatus
        ? runLags(
            Object.values(labStatus.replication.regions).flatMap((r) => r.events),
            params.repository,
            seen.sinceMs,
          )
        : [];
    const okPushes = (metrics.pushes as { ok: number }).ok;
    const regions = labStatus ? Object.keys(labStatus.replication.regions).length : 0;
    const lag = lagMetrics([...(seen?.lags ?? []), ...after], okPushes * Math.max(0, regions - 1));
    return { metrics: { ...metrics, ...(lag ?? {}) }, points };
  },
  charts: [dnsBounceScatterChart, replicationLagCdfChart],
  verdict(envelope) {
    const rows = (envelope.metrics.scatter ?? []) as ScatterRow[];
    if (rows.length === 0) return { exitCode: 1, line: 'no push finished' };
    const pinnedBad = rows.filter(
      (r) => (r.mitigation === 'regional' || r.mitigation === 'dns-pin') && (r.scattered > 0 || r.failed > 0),
    );
    const line = rows
      .map(
        (r) =>
          `${r.mitigation} ${r.scattered}/${r.pushes} scattered (${pct(r.scatteredShare)}${r.modeledShare === null ? '' : `, model ${pct(r.modeledShare)}`}), ${r.failed} failed`,
      )
      .join('; ');
    const lag = envelope.metrics.replicationLagS as { p50: number; n: number } | undefined;
    const lagLine = lag ? `; replication lag P50 ${lag.p50.toFixed(2)} s (${lag.n} landings)` : '';
    return { exitCode: pinnedBad.length > 0 ? 1 : 0, line: line + lagLine };
  },
});

export interface ScatterRow {
  mitigation: string;
  pushes: number;
  scattered: number;
  scatteredShare: number;
  failed: number;
  /** The scatter model's share for this run's settings (null: no flap, nothing to model). */
  modeledShare: number | null;
  /** The chart's name for it (replication-scatter reads closedForm). */
  closedForm: number | null;
}

/** The generic k6 envelope plus the scenario's points (one per mitigation) and the model's twin. */
export function bounceEnvelope(
  envelope: Envelope,
  records: readonly unknown[],
  p: DnsBounceParams,
): Envelope {
  const { mitigations, spans } = summarizeBounce(records, p.mitigations);
  const target = (envelope.params.target ?? {}) as {
    kind?: string;
    flap?: { on?: boolean; regions?: string[] };
  };
  const flapping = target.kind === 'lab' && target.flap?.on === true;
  const twin = flapping ? bounceTwin(p, target.flap?.regions?.length ?? 2, spans) : null;
  const scatter: ScatterRow[] = mitigations.map((m) => {
    const share = twin?.shares.find((s) => s.mitigation === m.mitigation);
    return {
      mitigation: m.mitigation,
      pushes: m.pushes,
      scattered: m.scattered,
      scatteredShare: m.scatteredShare,
      failed: m.failed,
      modeledShare: share ? share.modeled : null,
      closedForm: share ? share.closedForm : null,
    };
  });
  const points = mitigations.map((m) => {
    const metrics: Metrics = {
      pushes: { total: m.pushes, ok: m.ok, failed: m.failed },
      scattered: m.scattered,
      scatteredShare: m.scatteredShare,
      everScattered: m.everScattered,
      attempts: m.attempts,
      scatteredAttempts: m.scatteredAttempts,
      scatteredOk: m.scatteredOk,
      errors: { total: Object.values(m.byCode).reduce((a, b) => a + b, 0), byCode: m.byCode },
      failedByCode: m.failedByCode,
      pushSpanS: m.spanS,
      ...(twin && { modeledShare: scatter.find((s) => s.mitigation === m.mitigation)?.modeledShare ?? null }),
    };
    return { label: m.mitigation, params: { mitigation: m.mitigation }, metrics };
  });
  const totals = mitigations.reduce(
    (a, m) => ({ total: a.total + m.pushes, ok: a.ok + m.ok, failed: a.failed + m.failed }),
    { total: 0, ok: 0, failed: 0 },
  );
  return {
    ...envelope,
    metrics: { ...envelope.metrics, pushes: totals, scatter, ...(twin && { model: twin }) },
    points: points.length ? points : envelope.points,
  };
}

/** The marker of the flap starting (set before k6 starts: drawn at the axis' start, saying how long before). */
export function flapMarker(regions: readonly string[], intervalS: number, sinceMs: number) {
  return {
    kind: 'dns',
    label: `dns flap starts: ${regions.join(' <-> ')} every ${intervalS} s`,
    atMs: sinceMs,
  };
}
