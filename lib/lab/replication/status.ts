/** The replicator's status shapes (served by the lab API and `lab status`) and small helpers. */

export interface ReplicationEventRecord {
  id: string;
  /** When it happened in this region (local push, or replication landing). */
  at: string;
  /** Region whose registry now holds (or no longer holds) the content. */
  region: string;
  /** Region where the client pushed/deleted. */
  origin: string;
  kind: 'local' | 'replica';
  action: 'push' | 'delete' | 'untag';
  /** The real registry's repository, `<lab registry>/<repo>`. */
  repository: string;
  digest?: string;
  tag?: string;
  mediaType?: string;
  size?: number;
  /** The regional host of this replica (what the webhook's request.host says). */
  host: string;
  /** Replica events: origin's event time -> landed here. */
  lagS?: number;
  /** Replica events: of the lag, how long the copy itself took (from leaving the queue to landing). */
  copyS?: number;
  /** Replica events: the lag planned when queued (baseLagS + the jitter drawn; fault lag not included). */
  plannedLagS?: number;
  /**
   * Replica events with a tag: how long the tag's PUT took. The registry made the tag
   * readable somewhere in it, so the landing (`at`, taken when the PUT answered) is its
   * latest bound and `at` - tagPutS its earliest.
   */
  tagPutS?: number;
  /**
   * Replica events with a tag: the mtime of the tag's link file in the registry's storage (ms
   * epoch, the kernel's coarse wall clock: at or before the write, within a tick). The tag
   * resolves from the write on, so it was not readable before this.
   */
  tagWrittenMs?: number;
  webhook: 'none' | 'pending' | 'sent' | 'failed';
  webhookStatus?: number;
}

export interface RegionReplicationStatus {
  region: string;
  registryUrl: string;
  /** A replication-pause fault holds everything out of this region. */
  paused: boolean;
  /** Extra lag from replication-lag faults. */
  extraLagS: number;
  /** Work for this region: waiting (incl. lag and retries) + copying now. Bytes are estimates from the events. */
  backlog: { queued: number; inFlight: number; items: number; bytes: number };
  lastLagS: number | null;
  /** Over the last 1,000 replications into this region. */
  lagS: { count: number; p50: number | null; p90: number | null; p99: number | null; max: number | null };
  /** repository -> {tags: tag -> digest, digests: manifest digests}. */
  holds: Record<string, { tags: Record<string, string>; digests: string[] }>;
  /** Newest last, bounded. */
  events: ReplicationEventRecord[];
  errors: Array<{ at: string; code: string; message: string }>;
  counters: {
    notifications: number;
    ignored: { pull: number; own: number; blob: number; other: number };
    localPushes: number;
    localDeletes: number;
    replicatedIn: number;
    deletedIn: number;
    failedIn: number;
    /** Replicated tag writes skipped because this region already has a later write of that tag. */
    staleSkipped: number;
    /** This region's own newer tag push put back after an older replicated write overtook it. */
    repairs: number;
    webhooksSent: number;
    webhooksFailed: number;
  };
}

export interface ReplicationStatus {
  ok: boolean;
  listening: string[];
  webhookUrl: string | null;
  settings: { baseLagS: number; bandwidthBps: number; jitterS: number; concurrency: number };
  regions: Record<string, RegionReplicationStatus>;
}

/** A bounded FIFO: keeps the newest `cap` entries. */
export class Ring<T> {
  private items: T[] = [];
  constructor(private readonly cap: number) {}
  push(v: T): void {
    this.items.push(v);
    if (this.items.length > this.cap) this.items.splice(0, this.items.length - this.cap);
  }
  last(): T | undefined {
    return this.items[this.items.length - 1];
  }
  toArray(): T[] {
    return [...this.items];
  }
}

export function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? null;
}
