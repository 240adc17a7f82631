/**
 * Asynchronous geo-replication, like ACR's: every region's registry notifies us of manifest
 * pushes and deletes; for every other region we queue a copy that becomes due after
 * baseLagS + jitter (+ replication-lag faults), then moves the bytes the target lacks at
 * the target's bandwidth with `concurrency` copies in flight. Blobs land before the manifest,
 * the manifest by digest before its tag. Writes to one repository+tag (or digest) are applied
 * in order, and a replicated write older than what the target already has is skipped, so the
 * last push wins everywhere. Once content lands, an ACR-shaped webhook is posted.
 */

import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type ClockTimer, type Clock as LabClock, systemClock } from '../../clock';
import { RunError, StampedeError } from '../../errors';
import { type Component, faultsOf, type LabState } from '../state';
import { regionalHost } from '../topology';
import { Holdings } from './holdings';
import { type Classified, classify, parseEnvelope, REPLICATOR_AGENT } from './notifications';
import { copyManifest, deleteManifest, putManifest } from './oci-copy';
import { Pacer, perfTime, until } from './pacer';
import {
  quantile,
  type RegionReplicationStatus,
  type ReplicationEventRecord,
  type ReplicationStatus,
  Ring,
} from './status';
import { acrEvent, deliver, splitRepository } from './webhook';

export interface ReplicatorHandle extends Component {
  status(): ReplicationStatus;
  /** Where `region`'s registry must POST its notifications. */
  notifyUrl(region: string): string;
}

export interface ReplicatorDeps {
  /** Time for the bandwidth pacer; default the system clock. */
  clock?: LabClock;
  registries: Record<string, { url: string; root: string }>;
  /** ACR-style webhook receiver; overrides `replication.webhookUrl`. */
  webhookUrl?: string;
}

const COMPONENT = 'replicator';
const MAX_ATTEMPTS = 20;
const MAX_BODY = 8 << 20;
const TICK_MS = 100;
/**
 * Items leave the queue this long before they are due: the real HTTP work (HEADs, blob
 * streams, commit) runs while the modelled lag elapses and the content is published at the
 * modelled time, instead of the machine's own overhead adding to the configured lag.
 */
const PREFETCH_MS = 250;
/** An item failing for this long marks the component unhealthy. */
const STUCK_MS = 60_000;

interface WorkItem {
  seq: number;
  op: 'push' | 'delete';
  source: string;
  target: string;
  repo: string;
  digest: string;
  tag?: string;
  mediaType: string;
  size: number;
  estBytes: number;
  moved: number;
  /** Event time at the source (ms epoch). */
  at: number;
  /** baseLagS + jitter, fixed when queued; fault lag is added live. */
  delayMs: number;
  notBefore: number;
  attempts: number;
  failingSince?: number;
  /** When this attempt left the queue (ms epoch). */
  startedAt: number;
  /** Re-tags a region's own newer push that one of our older writes overtook (see onEvent). */
  repair?: boolean;
  useragent: string;
}

interface Clock {
  at: number;
  op: 'push' | 'delete';
}

interface RegionState {
  name: string;
  url: string;
  /** The registry's filesystem root (distribution's layout). */
  root: string;
  queue: WorkItem[];
  inFlight: Set<WorkItem>;
  pacer: Pacer;
  timer?: ClockTimer;
  wakeAt: number;
  holdings: Holdings;
  /** repo:tag -> last write applied here (local push or replicated). */
  tagClock: Map<string, number>;
  /** repo:tag -> our last replicated tag write here: when it landed, and its source event time. */
  tagWrites: Map<string, { landed: number; at: number }>;
  /** repo@digest -> last push/delete applied here. */
  digestClock: Map<string, Clock>;
  lags: Ring<number>;
  events: Ring<ReplicationEventRecord>;
  errors: Ring<{ at: string; code: string; message: string }>;
  counters: RegionReplicationStatus['counters'];
}

/**
 * When the registry wrote the tag's `current/link` (distribution writes it last, so the tag
 * resolves from then on): the file's mtime, ms epoch on the kernel's wall clock, which stamps
 * files from its coarse clock and so never later than the write. Undefined when unreadable.
 */
async function tagLinkMtimeMs(root: string, repo: string, tag: string): Promise<number | undefined> {
  const link = join(root, 'docker/registry/v2/repositories', repo, '_manifests/tags', tag, 'current/link');
  return stat(link).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
}

/** Last-writer-wins bookkeeping: keep the newest write per key. */
function bump(clock: Map<string, Clock>, key: string, at: number, op: Clock['op']): void {
  const prev = clock.get(key);
  if (!prev || at >= prev.at) clock.set(key, { at, op });
}

export async function startReplicator(state: LabState, deps: ReplicatorDeps): Promise<ReplicatorHandle> {
  const topo = state.topology;
  const cfg = () => state.config.replication;
  const webhookUrl = deps.webhookUrl || state.config.replication.webhookUrl || null;
  const registries = state.config.registry.names;
  const stop = new AbortController();
  // Due times, back-off and lag records read this clock; the pacers too (one clock per lab).
  const clock = deps.clock ?? systemClock;
  let stopped = false;
  let seq = 0;
  const running = new Set<Promise<void>>();

  const regions = new Map<string, RegionState>();
  for (const r of topo.regions) {
    const reg = deps.registries[r.name];
    if (!reg) throw new RunError('REPLICATION_CONFIG', `no registry given for region ${r.name}`);
    regions.set(r.name, {
      name: r.name,
      url: reg.url.replace(/\/+$/, ''),
      root: reg.root,
      queue: [],
      inFlight: new Set(),
      pacer: new Pacer(() => cfg().bandwidthBps, clock),
      wakeAt: Number.POSITIVE_INFINITY,
      holdings: await Holdings.scan(reg.root),
      tagClock: new Map(),
      tagWrites: new Map(),
      digestClock: new Map(),
      lags: new Ring(1000),
      events: new Ring(200),
      errors: new Ring(50),
      counters: {
        notifications: 0,
        ignored: { pull: 0, own: 0, blob: 0, other: 0 },
        localPushes: 0,
        localDeletes: 0,
        replicatedIn: 0,
        deletedIn: 0,
        failedIn: 0,
        staleSkipped: 0,
        repairs: 0,
        webhooksSent: 0,
        webhooksFailed: 0,
      },
    });
  }
  const region = (name: string) => regions.get(name) as RegionState;

  // ---- faults (read live: the API changes state.faults while we run) ----
  const pausedInto = (target: string) =>
    faultsOf(state, 'replication-pause').some(
      (f) => (f.region === undefined || f.region === target) && f.params.direction !== 'out',
    );
  const pausedOutOf = (source: string) =>
    faultsOf(state, 'replication-pause').some(
      (f) =>
        (f.region === undefined || f.region === source) &&
        (f.params.direction === 'out' || f.params.direction === 'both'),
    );
  const extraLagMs = (target: string) =>
    faultsOf(state, 'replication-lag')
      .filter((f) => f.region === undefined || f.region === target)
      .reduce((s, f) => s + (Number(f.params.lagS) || 0) * 1000, 0);

  // ---- events, webhooks, errors ----
  const hostOf = (realRepo: string, r: string) =>
    regionalHost(splitRepository(realRepo, registries).registry, r, topo.domain);

  const record = (
    rs: RegionState,
    rec: Omit<ReplicationEventRecord, 'id' | 'host' | 'webhook'>,
    useragent = REPLICATOR_AGENT,
  ) => {
    const full: ReplicationEventRecord = {
      id: randomUUID(),
      host: hostOf(rec.repository, rs.name),
      webhook: 'none',
      ...rec,
    };
    rs.events.push(full);
    if (webhookUrl && (rec.action === 'push' || rec.action === 'delete') && rec.digest) {
      full.webhook = 'pending';
      const ev = acrEvent({
        action: rec.action,
        at: Date.parse(rec.at),
        realRepo: rec.repository,
        digest: rec.digest,
        ...(rec.tag ? { tag: rec.tag } : {}),
        ...(rec.mediaType ? { mediaType: rec.mediaType } : {}),
        ...(rec.size !== undefined ? { size: rec.size } : {}),
        region: rs.name,
        registries,
        domain: topo.domain,
        method: rec.action === 'push' ? 'PUT' : 'DELETE',
        useragent,
      });
      track(
        deliver(webhookUrl, ev, stop.signal).then(
          (code) => {
            full.webhookStatus = code;
            full.webhook = code >= 200 && code < 300 ? 'sent' : 'failed';
            if (full.webhook === 'sent') rs.counters.webhooksSent++;
            else rs.counters.webhooksFailed++;
          },
          () => {
            full.webhook = 'failed';
            if (!stopped) rs.counters.webhooksFailed++;
          },
        ),
      );
    }
  };

  const error = (rs: RegionState, e: unknown) => {
    const code = e instanceof StampedeError ? e.code : ((e as { code?: string })?.code ?? 'ERROR');
    const message = e instanceof Error ? e.message : String(e);
    rs.errors.push({ at: new Date().toISOString(), code, message });
  };

  function track(p: Promise<void>) {
    running.add(p);
    void p.finally(() => running.delete(p));
  }

  // ---- the per-target queue ----
  const conflicts = (a: WorkItem, b: WorkItem) =>
    a.repo === b.repo && (a.digest === b.digest || (a.tag !== undefined && a.tag === b.tag));

  const insert = (rs: RegionState, it: WorkItem) => {
    let i = rs.queue.length;
    while (i > 0 && (rs.queue[i - 1] as WorkItem).seq > it.seq) i--;
    rs.queue.splice(i, 0, it);
  };

  const pump = (rs: RegionState) => {
    if (stopped) return;
    const now = clock.now();
    let wake = Number.POSITIVE_INFINITY;
    const paused = pausedInto(rs.name);
    const extra = extraLagMs(rs.name);
    for (let i = 0; i < rs.queue.length && rs.inFlight.size < cfg().concurrency && !paused; i++) {
      const it = rs.queue[i] as WorkItem;
      if (pausedOutOf(it.source)) continue;
      const due = Math.max(it.at + it.delayMs + extra - PREFETCH_MS, it.notBefore);
      if (due > now) {
        wake = Math.min(wake, due);
        continue;
      }
      // Writes to the same repo+tag/digest apply in order: an earlier one still waiting
      // (longer jitter, a retry) holds this one back.
      if (rs.queue.slice(0, i).some((o) => conflicts(o, it))) continue;
      if ([...rs.inFlight].some((o) => conflicts(o, it))) continue;
      rs.queue.splice(i, 1);
      i--;
      rs.inFlight.add(it);
      it.startedAt = now;
      track(run(rs, it, it.at + it.delayMs + extra));
    }
    if (wake !== rs.wakeAt) {
      clock.clearTimeout(rs.timer);
      rs.wakeAt = wake;
      if (Number.isFinite(wake))
        rs.timer = clock.setTimeout(
          () => {
            rs.wakeAt = Number.POSITIVE_INFINITY;
            pump(rs);
          },
          Math.max(0, wake - now),
        );
    }
  };

  const run = async (rs: RegionState, it: WorkItem, dueAt: number): Promise<void> => {
    const src = region(it.source);
    try {
      if (it.op === 'push') await replicatePush(rs, src, it, dueAt);
      else await replicateDelete(rs, it, dueAt);
    } catch (e) {
      if (stopped) return;
      it.attempts++;
      it.failingSince ??= clock.now();
      error(rs, e);
      if (it.attempts >= MAX_ATTEMPTS) {
        rs.counters.failedIn++;
        error(
          rs,
          new RunError(
            'REPLICATION_GAVE_UP',
            `${it.op} ${it.repo}@${it.digest} from ${it.source}: gave up after ${it.attempts} attempts`,
          ),
        );
      } else {
        it.notBefore = clock.now() + Math.min(250 * 2 ** (it.attempts - 1), 5000);
        it.moved = 0;
        insert(rs, it);
      }
    } finally {
      rs.inFlight.delete(it);
      pump(rs);
    }
  };

  const replicatePush = async (rs: RegionState, src: RegionState, it: WorkItem, dueAt: number) => {
    const dkey = `${it.repo}@${it.digest}`;
    const later = rs.digestClock.get(dkey);
    if (later && later.op === 'delete' && later.at > it.at) {
      rs.counters.staleSkipped++;
      return;
    }
    // The content is published when the link model says its last byte arrived (real bytes
    // run slightly ahead of it): blobs, then the manifest by digest, then the tag.
    const duePerf = perfTime(dueAt, clock);
    let modelEnd = duePerf;
    const ctx = {
      src: src.url,
      dst: rs.url,
      pace: async (n: number) => {
        modelEnd = Math.max(modelEnd, await rs.pacer.take(n, stop.signal));
      },
      signal: stop.signal,
      onBytes: (n: number) => {
        it.moved += n;
      },
      // Nothing is pullable (by digest or tag) before the modelled landing time.
      beforePublish: () => until(modelEnd, stop.signal, clock),
    };
    rs.pacer.begin(duePerf);
    let copied: Awaited<ReturnType<typeof copyManifest>>;
    try {
      copied = await copyManifest(ctx, it.repo, it.digest);
    } finally {
      rs.pacer.end();
    }
    if (!copied) {
      // Deleted at the source before we got to it: its delete event follows.
      error(rs, new RunError('REPLICATION_SOURCE_GONE', `${it.repo}@${it.digest} no longer in ${it.source}`));
      return;
    }
    bump(rs.digestClock, dkey, it.at, 'push');
    rs.holdings.put(it.repo, it.digest);
    let tag: string | undefined;
    let tagPutMs: number | undefined;
    let tagWrittenMs: number | undefined;
    let tagLanded: number | undefined;
    if (it.tag) {
      const tkey = `${it.repo}:${it.tag}`;
      const newer = rs.tagClock.get(tkey);
      if (newer !== undefined && newer > it.at) rs.counters.staleSkipped++;
      else {
        // While the PUT is in flight it counts as landing "now or later" (see onEvent's repair).
        const write = { landed: Number.POSITIVE_INFINITY, at: it.at };
        if (!it.repair) rs.tagWrites.set(tkey, write);
        const putAt = clock.now();
        await putManifest(rs.url, it.repo, it.tag, copied.manifest, stop.signal);
        write.landed = clock.now();
        tagPutMs = write.landed - putAt;
        tagLanded = write.landed;
        rs.tagClock.set(tkey, Math.max(it.at, rs.tagClock.get(tkey) ?? 0));
        rs.holdings.put(it.repo, it.digest, it.tag);
        tag = it.tag;
        // after the bookkeeping above, which must stay in step with the PUT
        if (!it.repair) tagWrittenMs = await tagLinkMtimeMs(rs.root, it.repo, it.tag);
      }
    }
    if (it.repair) {
      rs.counters.repairs++;
      return;
    }
    rs.counters.replicatedIn++;
    // Landed when the tag's PUT answered (the mtime read after it is not lag).
    const lagS = recordLanding(
      rs,
      it,
      'push',
      {
        ...(tag ? { tag, tagPutS: (tagPutMs ?? 0) / 1000 } : {}),
        ...(tag && tagWrittenMs !== undefined ? { tagWrittenMs } : {}),
        mediaType: copied.manifest.mediaType || it.mediaType,
        size: copied.manifest.bytes.byteLength,
      },
      tagLanded,
    );
    rs.lags.push(lagS);
  };

  /**
   * Records a replica landing in region rs now and returns its lag: lag from the source
   * event, copy time from the start of the transfer.
   */
  const recordLanding = (
    rs: RegionState,
    it: WorkItem,
    action: 'push' | 'delete',
    manifest: {
      tag?: string;
      tagPutS?: number;
      tagWrittenMs?: number;
      mediaType?: string;
      size?: number;
    } = {},
    landed = clock.now(),
  ): number => {
    const lagS = (landed - it.at) / 1000;
    record(
      rs,
      {
        at: new Date(landed).toISOString(),
        region: rs.name,
        origin: it.source,
        kind: 'replica',
        action,
        repository: it.repo,
        digest: it.digest,
        ...manifest,
        lagS,
        copyS: (landed - it.startedAt) / 1000,
        plannedLagS: it.delayMs / 1000,
      },
      it.useragent,
    );
    return lagS;
  };

  const replicateDelete = async (rs: RegionState, it: WorkItem, dueAt: number) => {
    const dkey = `${it.repo}@${it.digest}`;
    await until(perfTime(dueAt, clock), stop.signal, clock);
    const later = rs.digestClock.get(dkey);
    if (later && later.op === 'push' && later.at > it.at) {
      rs.counters.staleSkipped++;
      return;
    }
    const existed = await deleteManifest(rs.url, it.repo, it.digest, stop.signal);
    bump(rs.digestClock, dkey, it.at, 'delete');
    rs.holdings.deleteDigest(it.repo, it.digest);
    rs.counters.deletedIn++;
    if (existed) recordLanding(rs, it, 'delete');
  };

  // ---- notifications in ----
  const fanOut = (source: string, c: Extract<Classified, { kind: 'manifest-push' | 'manifest-delete' }>) => {
    for (const rs of regions.values()) {
      if (rs.name === source) continue;
      const jitterMs = cfg().jitterS > 0 ? Math.random() * cfg().jitterS * 1000 : 0;
      insert(rs, {
        seq: ++seq,
        op: c.kind === 'manifest-push' ? 'push' : 'delete',
        source,
        target: rs.name,
        repo: c.repo,
        digest: c.digest,
        ...(c.kind === 'manifest-push' && c.tag ? { tag: c.tag } : {}),
        mediaType: c.kind === 'manifest-push' ? c.mediaType : '',
        size: c.kind === 'manifest-push' ? c.size : 0,
        estBytes: c.kind === 'manifest-push' ? c.estBytes : 0,
        moved: 0,
        at: c.at,
        delayMs: cfg().baseLagS * 1000 + jitterMs,
        notBefore: 0,
        attempts: 0,
        startedAt: 0,
        useragent: c.useragent,
      });
      pump(rs);
    }
  };

  const onEvent = (rs: RegionState, c: Classified) => {
    switch (c.kind) {
      case 'ignored':
        rs.counters.ignored[c.reason]++;
        return;
      case 'manifest-push': {
        rs.counters.localPushes++;
        rs.holdings.put(c.repo, c.digest, c.tag);
        const dkey = `${c.repo}@${c.digest}`;
        bump(rs.digestClock, dkey, c.at, 'push');
        if (c.tag) {
          const tkey = `${c.repo}:${c.tag}`;
          rs.tagClock.set(tkey, Math.max(c.at, rs.tagClock.get(tkey) ?? 0));
          // Notifications arrive after the fact: if one of our replicated tag writes landed
          // here after this local push but carried an older push, the registry now serves the
          // older digest. Put the local (newer) one back.
          const w = rs.tagWrites.get(tkey);
          if (w && w.landed >= c.at && w.at < c.at) {
            rs.tagWrites.delete(tkey);
            insert(rs, {
              seq: ++seq,
              op: 'push',
              source: rs.name,
              target: rs.name,
              repo: c.repo,
              digest: c.digest,
              tag: c.tag,
              mediaType: c.mediaType,
              size: c.size,
              estBytes: c.size,
              moved: 0,
              at: c.at,
              delayMs: 0,
              notBefore: 0,
              attempts: 0,
              startedAt: 0,
              useragent: c.useragent,
              repair: true,
            });
            pump(rs);
          }
        }
        record(
          rs,
          {
            at: new Date(c.at).toISOString(),
            region: rs.name,
            origin: rs.name,
            kind: 'local',
            action: 'push',
            repository: c.repo,
            digest: c.digest,
            ...(c.tag ? { tag: c.tag } : {}),
            mediaType: c.mediaType,
            size: c.size,
          },
          c.useragent,
        );
        fanOut(rs.name, c);
        return;
      }
      case 'manifest-delete': {
        rs.counters.localDeletes++;
        rs.holdings.deleteDigest(c.repo, c.digest);
        bump(rs.digestClock, `${c.repo}@${c.digest}`, c.at, 'delete');
        record(
          rs,
          {
            at: new Date(c.at).toISOString(),
            region: rs.name,
            origin: rs.name,
            kind: 'local',
            action: 'delete',
            repository: c.repo,
            digest: c.digest,
          },
          c.useragent,
        );
        fanOut(rs.name, c);
        return;
      }
      case 'tag-delete':
        // 2.8 only untags as part of a digest delete, which we replicate; keep the view exact.
        rs.holdings.deleteTag(c.repo, c.tag);
        record(rs, {
          at: new Date(c.at).toISOString(),
          region: rs.name,
          origin: rs.name,
          kind: 'local',
          action: 'untag',
          repository: c.repo,
          tag: c.tag,
        });
        return;
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const m = /^\/notifications\/([^/?]+)/.exec(req.url ?? '');
    const rs = m ? regions.get(decodeURIComponent(m[1] as string)) : undefined;
    if (req.method !== 'POST' || !rs) {
      res.writeHead(req.method === 'POST' ? 404 : 405).end();
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const receivedAt = clock.now();
      // Always 200: distribution retries a refused envelope forever and blocks the
      // endpoint's queue behind it, so a bad one is recorded and dropped.
      res.writeHead(200).end();
      if (stopped) return;
      try {
        if (size > MAX_BODY)
          throw new RunError('NOTIFICATION_TOO_LARGE', `notification of ${size} bytes dropped`);
        for (const ev of parseEnvelope(Buffer.concat(chunks).toString('utf8'))) {
          rs.counters.notifications++;
          onEvent(rs, classify(ev, receivedAt));
        }
      } catch (e) {
        error(rs, e);
      }
    });
    req.on('error', () => res.destroy());
  };

  // ---- listeners: one per distinct notify host:port (the topology gives all regions one) ----
  const servers: Server[] = [];
  const listening: string[] = [];
  const endpoints = new Set(topo.regions.map((r) => new URL(r.notifyUrl).host));
  let listenerOk = true;
  try {
    for (const hostPort of endpoints) {
      const u = new URL(`http://${hostPort}`);
      const srv = createServer(handle);
      srv.keepAliveTimeout = 30_000;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(Number(u.port || 80), u.hostname, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      srv.on('error', (e) => {
        listenerOk = false;
        for (const rs of regions.values()) error(rs, e);
      });
      servers.push(srv);
      listening.push(`http://${hostPort}`);
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw new RunError('REPLICATION_LISTEN', `replicator cannot listen: ${(e as Error).message}`, {
      cause: e,
    });
  }

  // ---- health and fault polling ----
  const health = () => {
    const now = clock.now();
    let stuck = 0;
    let backlog = 0;
    for (const rs of regions.values()) {
      backlog += rs.queue.length + rs.inFlight.size;
      for (const it of [...rs.queue, ...rs.inFlight])
        if (it.failingSince && now - it.failingSince > STUCK_MS) stuck++;
    }
    const ok = listenerOk && !stopped && stuck === 0;
    const detail = stopped
      ? 'stopped'
      : !listenerOk
        ? 'notification listener failed'
        : `backlog ${backlog}${stuck ? `, ${stuck} item(s) failing for over ${STUCK_MS / 1000} s` : ''}`;
    const prev = state.components.get(COMPONENT);
    state.components.set(COMPONENT, { ok, detail, since: prev && prev.ok === ok ? prev.since : now });
  };
  health();
  // Faults arrive by mutation of state.faults, not by call: re-check on a short tick.
  const ticker = setInterval(() => {
    for (const rs of regions.values()) pump(rs);
    health();
  }, TICK_MS);
  ticker.unref();

  const regionStatus = (rs: RegionState): RegionReplicationStatus => {
    const items = [...rs.queue, ...rs.inFlight];
    const lags = rs.lags.toArray().sort((a, b) => a - b);
    return {
      region: rs.name,
      registryUrl: rs.url,
      paused: pausedInto(rs.name),
      extraLagS: extraLagMs(rs.name) / 1000,
      backlog: {
        queued: rs.queue.length,
        inFlight: rs.inFlight.size,
        items: items.length,
        bytes: items.reduce((s, it) => s + Math.max(0, it.estBytes - it.moved), 0),
      },
      lastLagS: rs.lags.last() ?? null,
      lagS: {
        count: lags.length,
        p50: quantile(lags, 0.5),
        p90: quantile(lags, 0.9),
        p99: quantile(lags, 0.99),
        max: lags.length ? (lags[lags.length - 1] ?? null) : null,
      },
      holds: rs.holdings.toJSON(),
      events: rs.events.toArray(),
      errors: rs.errors.toArray(),
      counters: structuredClone(rs.counters),
    };
  };

  return {
    name: COMPONENT,
    notifyUrl(name: string) {
      const r = topo.regions.find((x) => x.name === name);
      if (!r) throw new RunError('REPLICATION_CONFIG', `unknown region ${name}`);
      return r.notifyUrl;
    },
    status(): ReplicationStatus {
      const c = cfg();
      return {
        ok: state.components.get(COMPONENT)?.ok ?? false,
        listening,
        webhookUrl,
        settings: {
          baseLagS: c.baseLagS,
          bandwidthBps: c.bandwidthBps,
          jitterS: c.jitterS,
          concurrency: c.concurrency,
        },
        regions: Object.fromEntries([...regions.values()].map((rs) => [rs.name, regionStatus(rs)])),
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(ticker);
      for (const rs of regions.values()) clock.clearTimeout(rs.timer);
      stop.abort(new RunError('REPLICATION_STOPPED', 'replicator stopped'));
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      await Promise.race([Promise.allSettled([...running]), new Promise((r) => setTimeout(r, 2000))]);
      health();
    },
  };
}
