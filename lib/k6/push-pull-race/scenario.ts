/**
 * The push-pull-race scenario (k6 entry: scenarios/push-pull-race.ts): a push in region A,
 * pullers in region B racing its replication with each pull strategy. On the lab: pushes go
 * to A's regional endpoint, pulls to B's, the run serves the lab's webhook events to the
 * wait-webhook pullers (board.ts), and the envelope carries the lab's measured lags and the
 * simulated twin (twin.ts). Against a registry URL: the same script with --set endpoints.*.
 */

import { raceTwinChart } from '../../../reports/charts/race-twin';
import { replicationDisagreementChart } from '../../../reports/charts/replication-disagreement';
import { replicationLagCdfChart } from '../../../reports/charts/replication-lag-cdf';
import { replicationOffsetsChart } from '../../../reports/charts/replication-offsets';
import { InputError } from '../../errors';
import { readIdentityRecord } from '../../lab/identity';
import { labClient } from '../../lab/lab-client';
import type { ReplicationEventRecord } from '../../lab/replication/status';
import { regionalHost } from '../../lab/topology';
import type { Quantiles } from '../../results/envelope';
import { labTarget } from '../lab-target';
import { type MarkerRecord, markerRecord } from '../markers';
import { defineScenario } from '../scenario';
import { type EventBoard, startEventBoard } from './board';
import { collectRace, pairedPulls, pushRecords } from './collect';
import { type RaceParams, raceSchema, roundsOf } from './params';
import { runTwin } from './twin';

/** Boards started by prepareLab, closed once k6 has exited (duringRun). */
const boards = new Set<EventBoard>();
const BOARD_REFRESH_MS = 50;
/** Config blob and manifest on top of the layers (pushImage's, within a few bytes). */
const PUSH_OVERHEAD_B = 600;
/** Strategies that wait for the content: they must end with no failed pull. */
const MUST_SUCCEED = ['retry', 'wait-webhook', 'pin-home'];

const allEvents = (s: { replication: { regions: Record<string, { events: ReplicationEventRecord[] }> } }) =>
  Object.values(s.replication.regions).flatMap((r) => r.events);

export const pushPullRaceScenario = defineScenario<RaceParams>({
  name: 'push-pull-race',
  summary:
    'push in region A, M pullers in region B race its replication, per pull strategy (and tag overwrite)',
  help: `
A pusher pushes a fresh image to region A every roundS; pullers in region B wait for its ack,
wait the round's offset, then pull through B with their strategy (none, retry, fixed-sleep,
wait-webhook, pin-home). Measured per puller: push ack -> first successful pull, failures by
OCI code, pulls that resolved another digest (mode=overwrite) or deleted content (mode=delete). A registry URL target needs
--set endpoints.push=<A's regional endpoint> --set endpoints.pull=<B's> (and endpoints.events,
a JSON array of ACR webhook events, for wait-webhook).`,
  schema: raceSchema,
  script: 'push-pull-race',
  labOnly: ['pushRegion', 'pullRegion', 'registry'],
  progress: { metric: 'race_pull', unit: 'pulls', total: (p) => p.pullers * roundsOf(p) },
  maxDurationS: (p) => p.maxDurationS,

  checkTarget(p) {
    const how = (r: string) =>
      `the ${r} region's regional endpoint, e.g. https://myreg.${r === 'push' ? 'eastus' : 'westeurope'}.geo.azurecr.io`;
    if (!p.endpoints.push) throw new InputError('endpoints.push', how('push'), '');
    if (!p.endpoints.pull) throw new InputError('endpoints.pull', how('pull'), '');
    if (p.strategies.includes('wait-webhook') && !p.endpoints.events)
      throw new InputError(
        'endpoints.events',
        'a URL answering a JSON array of ACR webhook events (wait-webhook)',
        '',
      );
  },

  async prepareLab(lab, p) {
    const names = lab.config.regions.names;
    const pushRegion = p.pushRegion || (names[0] as string);
    const pullRegion = p.pullRegion || (names.find((n) => n !== pushRegion) as string);
    if (!names.includes(pushRegion))
      throw new InputError('pushRegion', `one of ${names.join(', ')}`, pushRegion);
    if (!pullRegion || !names.includes(pullRegion) || pullRegion === pushRegion)
      throw new InputError(
        'pullRegion',
        `one of ${names.filter((n) => n !== pushRegion).join(', ')}`,
        p.pullRegion,
      );
    const t = labTarget(lab, { ...(p.registry ? { registry: p.registry } : {}), endpoint: 'regional' });
    const topo = lab.topology;
    const url = (region: string) => `http://${regionalHost(t.registry, region, topo.domain)}:${topo.port}`;
    // The pusher's service principal (AcrPush: push and pull; delete mode the owner's, with
    // AcrDelete) for every VU: one credential set a run.
    const who = p.mode === 'delete' ? 'owner' : 'pusher';
    const pusher = readIdentityRecord(topo.stateDir).clients.find((c) => c.name === who);
    if (!pusher) throw new InputError('identity', `a ${who} client in the lab identity record`, 'none');
    const api = labClient(topo.apiSocket, { timeoutMs: 5000 });
    const board = await startEventBoard(async () => allEvents(await api.status()), {
      refreshMs: BOARD_REFRESH_MS,
    });
    boards.add(board);
    return {
      base: url(pushRegion),
      env: {
        ...t.env,
        STAMPEDE_AAD_CLIENT_ID: pusher.clientId,
        STAMPEDE_AAD_CLIENT_SECRET: pusher.clientSecret,
        STAMPEDE_RACE_PUSH: url(pushRegion),
        STAMPEDE_RACE_PULL: url(pullRegion),
        STAMPEDE_RACE_EVENTS: board.url,
        STAMPEDE_RACE_ACKS: board.acksUrl,
      },
      describe: {
        ...t.describe,
        endpoint: 'regional',
        base: url(pushRegion),
        pushRegion,
        pullRegion,
        push: url(pushRegion),
        pull: url(pullRegion),
        events: board.url,
        replication: lab.config.replication,
      },
      notes: [`push ${url(pushRegion)}, pull ${url(pullRegion)}; webhook events for k6 at ${board.url}`],
    };
  },

  async duringRun({ signal }) {
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.all([...boards].map((b) => b.close()));
    boards.clear();
  },

  summaryMetrics: ['race_push', 'race_pull'],
  summarize({ envelope, records, params, labStatus }) {
    const race = collectRace({
      records,
      mode: params.mode,
      strategies: params.strategies,
      offsets: params.offsets,
      ...(labStatus ? { labEvents: allEvents(labStatus) } : {}),
    });
    const target = (envelope.params.target ?? {}) as {
      kind?: string;
      pushRegion?: string;
      pullRegion?: string;
    };
    const metrics = { ...envelope.metrics, ...race.metrics };
    const seen = race.metrics.ackSeenS as Quantiles | null;
    if (labStatus && target.pushRegion && target.pullRegion && seen) {
      const s = labStatus.replication.settings;
      metrics.twin = runTwin(
        {
          params,
          pushRegion: target.pushRegion,
          pullRegion: target.pullRegion,
          replication: {
            baseLagS: s.baseLagS,
            bandwidthBps: s.bandwidthBps,
            jitterS: s.jitterS,
            concurrency: s.concurrency,
          },
          pushBytes: params.layers.reduce((a, b) => a + b, 0) + PUSH_OVERHEAD_B,
          ackSeenS: seen.p50,
          boardRefreshS: BOARD_REFRESH_MS / 1000,
          // every push's landing in the pull region after its ack (deletes carry no bytes: left out)
          lagsS: race.lags
            .filter((l) => l.region === target.pullRegion && l.phase !== 'del')
            .map((l) => l.sinceAckS),
          // every raced pull with its round's landing; with the fronts' records of the marked
          // first GETs, on the lab's one clock (twin.clock says which)
          rounds: pairedPulls(race, params.mode, target.pullRegion, labStatus.traces ?? []),
        },
        race.points,
      );
    }
    return { metrics, points: race.points, raw: ackMarkers(records) };
  },

  verdict(envelope) {
    const m = envelope.metrics as {
      pushes?: { ok: number; failed: number };
      pullers?: number;
      replicationLagS?: Quantiles;
      twin?: { targetsMet: boolean; targetsMetWithReplay?: boolean };
    };
    const pct = (v: unknown) => `${((Number(v) || 0) * 100).toFixed(0)}%`;
    const per = envelope.points.map((p) => `${p.label} ${pct(p.metrics.failedShare)}`).join(', ');
    // delete mode asks how long deleted content stays pullable: no strategy is meant to get it.
    const mustFail =
      (envelope.metrics as { mode?: string }).mode === 'delete'
        ? []
        : envelope.points.filter((p) => MUST_SUCCEED.includes(p.label) && Number(p.metrics.failedPulls) > 0);
    const bad = !m.pushes || m.pushes.ok === 0 || m.pushes.failed > 0 || !m.pullers || mustFail.length > 0;
    return {
      exitCode: bad ? 1 : 0,
      line: `${m.pushes?.ok ?? 0} pushes (${m.pushes?.failed ?? 0} failed), ${m.pullers ?? 0} pulls; failed: ${per}${m.replicationLagS ? `; lag P50 ${m.replicationLagS.p50.toFixed(2)} s` : ''}${m.twin ? `; sim twin ${m.twin.targetsMet ? 'agrees' : m.twin.targetsMetWithReplay ? 'agrees only with the paired replay at some offsets' : 'disagrees'}` : ''}`,
    };
  },

  charts: [replicationLagCdfChart, replicationOffsetsChart, replicationDisagreementChart, raceTwinChart],
});

/** A marker per acked push (the instant the pullers' offsets count from). */
export function ackMarkers(records: readonly unknown[]): MarkerRecord[] {
  return pushRecords(records)
    .filter((p) => p.result === 'ok' && Number.isFinite(p.ackMs))
    .map((p) =>
      markerRecord('push', `push ${p.round}${p.phase === 'd1' ? '' : ` ${p.phase}`} acked`, p.ackMs),
    );
}
