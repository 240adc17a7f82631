/**
 * ACR-shaped webhook events. ACR fires one from the replica that received a push and one
 * from each other replica once replication lands there, so a consumer sees one event per
 * replica per push (request.host tells which). Body: a single event object, like ACR:
 *   {id, timestamp, action: "push", target: {mediaType, size, digest, length, repository, tag},
 *    request: {id, host, method, useragent}}
 * (action "delete": target {mediaType, digest, repository}). Repository and host are the lab
 * registry's (`app` at `contoso.eastus.geo.<domain>`), not the real registry's `contoso/app`.
 */
import { randomUUID } from 'node:crypto';
import { regionalHost } from '../topology';
import { sleep } from './pacer';

export interface AcrWebhookEvent {
  id: string;
  timestamp: string;
  action: 'push' | 'delete';
  target: {
    mediaType?: string;
    size?: number;
    digest: string;
    length?: number;
    repository: string;
    tag?: string;
  };
  request: { id: string; host: string; method: string; useragent: string };
}

/** `contoso/app` -> lab registry `contoso`, repository `app` (first registry if no prefix matches). */
export function splitRepository(
  real: string,
  registries: string[],
): { registry: string; repository: string } {
  const slash = real.indexOf('/');
  const head = slash > 0 ? real.slice(0, slash) : '';
  if (head && registries.includes(head)) return { registry: head, repository: real.slice(slash + 1) };
  return { registry: registries[0] ?? 'registry', repository: real };
}

export function acrEvent(o: {
  action: 'push' | 'delete';
  at: number;
  realRepo: string;
  digest: string;
  tag?: string;
  mediaType?: string;
  size?: number;
  region: string;
  registries: string[];
  domain: string;
  method: string;
  useragent: string;
}): AcrWebhookEvent {
  const { registry, repository } = splitRepository(o.realRepo, o.registries);
  const target: AcrWebhookEvent['target'] =
    o.action === 'push'
      ? {
          mediaType: o.mediaType ?? '',
          size: o.size ?? 0,
          digest: o.digest,
          length: o.size ?? 0,
          repository,
          ...(o.tag ? { tag: o.tag } : {}),
        }
      : { ...(o.mediaType ? { mediaType: o.mediaType } : {}), digest: o.digest, repository };
  return {
    id: randomUUID(),
    timestamp: new Date(o.at).toISOString(),
    action: o.action,
    target,
    request: {
      id: randomUUID(),
      host: regionalHost(registry, o.region, o.domain),
      method: o.method,
      useragent: o.useragent,
    },
  };
}

/** POSTs one event; a few bounded attempts, like a webhook sender that gives up. */
export async function deliver(url: string, ev: AcrWebhookEvent, signal: AbortSignal): Promise<number> {
  let last = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ev),
        signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]),
      });
      await res.arrayBuffer();
      last = res.status;
      if (res.status < 500) return res.status;
    } catch (e) {
      if (signal.aborted) throw e;
    }
    await sleep(500 * 2 ** attempt, signal);
  }
  return last;
}
