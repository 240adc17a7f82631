/**
 * Hydration, ACR's async import: a cache miss queues one job per image (front-local queue,
 * `cache.hydrationWorkers` at a time) that imports the manifest and its blobs into the
 * region's registry through the normal push path (POST/PUT uploads, then the manifest by
 * tag or digest). The region's registry then notifies the replicator like any push, so the
 * image replicates to the other regions and the ACR-shaped webhook fires: the completion
 * signal a customer (or the cache-stampede pre-warm) waits for. Jobs for the same image
 * collapse whatever the coalescing mode (ACR queues one import event per image).
 */

import { fetch as undiciFetch } from 'undici';
import { RunError } from '../../errors';
import { type FetchLike, pushBlob } from '../../oci/push';
import { Ring } from '../replication/status';

export const HYDRATOR_AGENT = 'stampede-hydrator/1';
const ATTEMPTS = 3;
const MAX_DEPTH = 2;

export interface HydrationJob {
  reg: string;
  repo: string;
  upstreamRepo: string;
  rule: string;
  digest: string;
  tag?: string;
  manifest: Buffer;
  mediaType: string;
}

export interface HydrationRecord {
  /** <repo>@<digest> (the lab registry's repository). */
  image: string;
  registry: string;
  tag: string | null;
  rule: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  /** First miss that queued it (ms epoch). */
  queuedAt: number;
  doneAt: number | null;
  /** queuedAt -> imported, s. */
  hydratedAtS: number | null;
  attempts: number;
  error: string | null;
}

export interface HydratorDeps {
  /** The region's registry (no auth behind the front). */
  registryUrl: string;
  workers: () => number;
  /** A blob's bytes from upstream (or the front's spool). */
  fetchBlob(job: HydrationJob, digest: string): Promise<Buffer>;
  /** A child manifest of an index, from upstream. */
  fetchManifest(job: HydrationJob, digest: string): Promise<{ bytes: Buffer; mediaType: string }>;
  /** Called once the image is imported, or has failed for good (the spool may drop what it held). */
  onSettled?(job: HydrationJob, blobs: string[]): void;
  now?: () => number;
}

interface Parsed {
  config?: { digest: string };
  layers?: Array<{ digest: string }>;
  manifests?: Array<{ digest: string }>;
}

/** undici's own fetch, with the hydrator's user agent and a bounded time per request. */
const withAgent: FetchLike = (url, init = {}) => {
  const headers: Record<string, string> = { 'user-agent': HYDRATOR_AGENT };
  new Headers(init.headers).forEach((v, k) => {
    headers[k] = v;
  });
  headers['user-agent'] = HYDRATOR_AGENT;
  return undiciFetch(url, {
    ...(init as object),
    headers,
    signal: AbortSignal.timeout(120_000),
  }) as unknown as Promise<Response>;
};

export class Hydrator {
  private readonly queue: HydrationJob[] = [];
  private running = 0;
  private readonly records = new Map<string, HydrationRecord>();
  private readonly history = new Ring<string>(500);
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: HydratorDeps) {
    this.now = deps.now ?? Date.now;
  }

  private key(job: { reg: string; repo: string; digest: string }): string {
    return `${job.reg}/${job.repo}@${job.digest}`;
  }

  /** Queues the image unless it is queued, running or done already. */
  enqueue(job: HydrationJob): void {
    const key = this.key(job);
    const prev = this.records.get(key);
    if (prev && prev.state !== 'failed') return;
    this.records.set(key, {
      image: `${job.repo}@${job.digest}`,
      registry: job.reg,
      tag: job.tag ?? null,
      rule: job.rule,
      state: 'queued',
      queuedAt: prev?.queuedAt ?? this.now(),
      doneAt: null,
      hydratedAtS: null,
      attempts: prev?.attempts ?? 0,
      error: null,
    });
    if (!prev) this.history.push(key);
    this.queue.push(job);
    this.pump();
  }

  isHydrated(reg: string, repo: string, digest: string): boolean {
    return this.records.get(this.key({ reg, repo, digest }))?.state === 'done';
  }

  private pump(): void {
    while (!this.stopped && this.running < Math.max(1, this.deps.workers()) && this.queue.length) {
      const job = this.queue.shift() as HydrationJob;
      this.running++;
      this.run(job).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(job: HydrationJob): Promise<void> {
    const rec = this.records.get(this.key(job));
    if (!rec) return;
    rec.state = 'running';
    for (;;) {
      rec.attempts++;
      try {
        const blobs: string[] = [];
        await this.importManifest(job, job.manifest, job.mediaType, job.tag ?? job.digest, 0, blobs);
        rec.state = 'done';
        rec.doneAt = this.now();
        rec.hydratedAtS = (rec.doneAt - rec.queuedAt) / 1000;
        rec.error = null;
        this.deps.onSettled?.(job, blobs);
        return;
      } catch (e) {
        rec.error = (e as Error).message;
        if (this.stopped || rec.attempts >= ATTEMPTS) {
          rec.state = 'failed';
          this.deps.onSettled?.(job, []);
          return;
        }
        await new Promise((r) => setTimeout(r, 1000 * 2 ** (rec.attempts - 1)));
      }
    }
  }

  private async importManifest(
    job: HydrationJob,
    bytes: Buffer,
    mediaType: string,
    ref: string,
    depth: number,
    blobs: string[],
  ): Promise<void> {
    if (depth > MAX_DEPTH) throw new RunError('HYDRATION_FAILED', `${job.repo}: index nested too deep`);
    const base = this.deps.registryUrl;
    const repo = `${job.reg}/${job.repo}`;
    let parsed: Parsed;
    try {
      parsed = JSON.parse(bytes.toString('utf8')) as Parsed;
    } catch {
      throw new RunError('HYDRATION_FAILED', `${job.repo}@${job.digest}: manifest is not JSON`);
    }
    for (const child of parsed.manifests ?? []) {
      const m = await this.deps.fetchManifest(job, child.digest);
      await this.importManifest(job, m.bytes, m.mediaType, child.digest, depth + 1, blobs);
    }
    const digests = [parsed.config?.digest, ...(parsed.layers ?? []).map((l) => l.digest)].filter(
      (d): d is string => typeof d === 'string',
    );
    for (const d of digests) {
      blobs.push(d);
      const head = await withAgent(`${base}/v2/${repo}/blobs/${d}`, { method: 'HEAD' });
      await head.arrayBuffer();
      if (head.status === 200) continue;
      const data = await this.deps.fetchBlob(job, d);
      await pushBlob(base, repo, data, withAgent);
    }
    const put = await withAgent(`${base}/v2/${repo}/manifests/${ref}`, {
      method: 'PUT',
      headers: { 'content-type': mediaType },
      body: new Uint8Array(bytes),
    });
    const text = await put.text();
    if (put.status !== 201)
      throw new RunError(
        'HYDRATION_FAILED',
        `PUT manifest ${job.repo}:${ref}: HTTP ${put.status} ${text.slice(0, 200)}`,
      );
  }

  /** Newest last, bounded. */
  status(): HydrationRecord[] {
    return this.history
      .toArray()
      .map((k) => this.records.get(k))
      .filter((r): r is HydrationRecord => r !== undefined)
      .map((r) => ({ ...r }));
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }
}
