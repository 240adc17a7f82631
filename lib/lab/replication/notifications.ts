/**
 * The registry's notification envelopes (CNCF distribution 2.8, `notifications` config):
 * `POST` with `Content-Type: application/vnd.docker.distribution.events.v1+json` and body
 * `{"events": [...]}`. 2.8.2 sends one event per envelope in practice, but the format
 * allows several. Shapes observed from the real `docker-registry` 2.8.2:
 *  - manifest push: action "push", target {mediaType, size, digest, length, repository,
 *    url ".../manifests/<digest>", tag? (absent for a push by digest), references? (with
 *    `includereferences: true`: config and layers, or the children of an index)}
 *  - manifest pull: action "pull", same target (ignored here)
 *  - manifest delete (DELETE /manifests/<digest>): action "delete", target {digest, repository}
 *  - tag delete: action "delete", target {repository, tag}; 2.8 answers 400 to
 *    DELETE /manifests/<tag>, so this only follows a digest delete that untagged the tag.
 *  - blob events: target.url ".../blobs/<digest>", mediaType application/octet-stream (the
 *    lab's registry config ignores that media type, so they are not sent at all).
 * Every event carries request {id, addr, host, method, useragent}: the replicator marks its
 * own writes with REPLICATOR_AGENT and ignores events they cause, so nothing ping-pongs.
 */
import { RunError } from '../../errors';

export const NOTIFY_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';
export const REPLICATOR_AGENT = 'stampede-replicator/1';

export interface Descriptor {
  mediaType?: string;
  size?: number;
  digest: string;
}

export interface RegistryEvent {
  id: string;
  timestamp: string;
  action: string;
  target: {
    mediaType?: string;
    size?: number;
    length?: number;
    digest?: string;
    repository: string;
    url?: string;
    tag?: string;
    references?: Descriptor[];
  };
  request?: { id?: string; addr?: string; host?: string; method?: string; useragent?: string };
  actor?: { name?: string };
  source?: { addr?: string; instanceID?: string };
}

export type Classified =
  | {
      kind: 'manifest-push';
      repo: string;
      digest: string;
      tag?: string;
      mediaType: string;
      size: number;
      /** Manifest plus referenced content, as far as the event tells: backlog estimate. */
      estBytes: number;
      at: number;
      useragent: string;
    }
  | { kind: 'manifest-delete'; repo: string; digest: string; at: number; useragent: string }
  | { kind: 'tag-delete'; repo: string; tag: string; at: number }
  | { kind: 'ignored'; reason: 'pull' | 'own' | 'blob' | 'other' };

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseEnvelope(body: string): RegistryEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new RunError('NOTIFICATION_INVALID', 'notification body is not JSON');
  }
  const events = (json as { events?: unknown })?.events;
  if (!Array.isArray(events)) throw new RunError('NOTIFICATION_INVALID', 'notification body has no events[]');
  return events.filter(
    (e): e is RegistryEvent =>
      typeof e === 'object' &&
      e !== null &&
      typeof (e as RegistryEvent).action === 'string' &&
      typeof (e as RegistryEvent).target?.repository === 'string',
  );
}

/** Event time in ms since the epoch; the receive time if the registry's stamp is unusable. */
export function eventTime(ev: RegistryEvent, receivedAt: number): number {
  const t = Date.parse(ev.timestamp);
  // A stamp from the future (clock skew inside a namespace is impossible, but be safe) or
  // garbage would make the lag arithmetic lie.
  return Number.isFinite(t) && t <= receivedAt + 1000 ? Math.min(t, receivedAt) : receivedAt;
}

export function classify(ev: RegistryEvent, receivedAt: number): Classified {
  const ua = ev.request?.useragent ?? '';
  if (ua.startsWith(REPLICATOR_AGENT)) return { kind: 'ignored', reason: 'own' };
  const t = ev.target;
  const at = eventTime(ev, receivedAt);
  if (ev.action === 'pull') return { kind: 'ignored', reason: 'pull' };
  if (t.url?.includes('/blobs/') || t.mediaType === 'application/octet-stream')
    return { kind: 'ignored', reason: 'blob' };
  if (ev.action === 'push' && t.digest && DIGEST.test(t.digest)) {
    const refs = (t.references ?? []).reduce((s, r) => s + (Number(r.size) || 0), 0);
    const size = Number(t.size ?? t.length) || 0;
    return {
      kind: 'manifest-push',
      repo: t.repository,
      digest: t.digest,
      ...(t.tag ? { tag: t.tag } : {}),
      mediaType: t.mediaType ?? '',
      size,
      estBytes: size + refs,
      at,
      useragent: ua,
    };
  }
  if (ev.action === 'delete') {
    // A blob delete looks the same as a manifest delete in 2.8; deleting it as a manifest in
    // the replica answers 404, which is harmless.
    if (t.digest && DIGEST.test(t.digest))
      return { kind: 'manifest-delete', repo: t.repository, digest: t.digest, at, useragent: ua };
    if (t.tag) return { kind: 'tag-delete', repo: t.repository, tag: t.tag, at };
  }
  return { kind: 'ignored', reason: 'other' };
}
