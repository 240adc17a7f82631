/**
 * Proxying the distribution API to the region's real registry, where repository <repo>
 * of lab registry <reg> is stored as <reg>/<repo>. Bodies stream both ways (undici Pool
 * with keep-alive; the client's request stream is the upstream body), only the small JSON
 * of tag and catalog lists is read to rewrite names.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import { ERROR_BODY_MAX, sanitizeErrorBody } from './error-body';
import { ociError } from './oci-error';

// undici refuses these (it owns the connection) and they are per-hop anyway.
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  // the registry behind the front has no auth: the lab's tokens stop at the front
  'authorization',
]);

export function forwardHeaders(h: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  return out;
}

export interface ProxyContext {
  pool: Pool;
  registryOrigin: string;
  reg: string;
  /** Host the client called. */
  clientHost: string;
}

const noop = () => {};

export function rewriteLocation(loc: string, ctx: ProxyContext): string {
  let u: URL;
  try {
    u = new URL(loc, ctx.registryOrigin);
  } catch {
    return loc;
  }
  if (u.origin !== ctx.registryOrigin) return loc;
  const prefix = `/v2/${ctx.reg}/`;
  const path = u.pathname.startsWith(prefix) ? `/v2/${u.pathname.slice(prefix.length)}` : u.pathname;
  // Relative, as ACR sends it: the client resolves it against the endpoint it called, so
  // the same answer is right over http and https and on every name of the registry.
  return `${path}${u.search}`;
}

function responseHeaders(h: Record<string, string | string[] | undefined>, ctx: ProxyContext) {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || k === 'connection' || k === 'keep-alive' || k === 'transfer-encoding') continue;
    if (k === 'location') out[k] = rewriteLocation(String(v), ctx);
    else if (k === 'link') out[k] = String(v).replaceAll(`/v2/${ctx.reg}/`, '/v2/');
    else out[k] = v;
  }
  return out;
}

/** Upstream path for a client path under /v2/<repo>/..., with the mount source renamed too. */
export function upstreamPath(path: string, query: string, reg: string): string {
  let q = query;
  if (q.includes('from=')) {
    const p = new URLSearchParams(q);
    const from = p.get('from');
    if (from) p.set('from', `${reg}/${from}`);
    q = p.toString();
  }
  return `/v2/${reg}/${path.slice(4)}${q ? `?${q}` : ''}`;
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

export async function proxy(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ProxyContext,
  path: string,
  opts: { rewriteName?: boolean } = {},
): Promise<void> {
  const method = (req.method ?? 'GET') as Dispatcher.HttpMethod;
  let up: Awaited<ReturnType<Pool['request']>>;
  try {
    up = await ctx.pool.request({
      method,
      path,
      headers: forwardHeaders(req.headers),
      body: hasBody(req) ? req : null,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
  } catch (e) {
    if (!res.headersSent)
      ociError(
        res,
        503,
        'UNAVAILABLE',
        `registry unavailable: ${(e as Error).message}`,
        {},
        method === 'HEAD',
      );
    else res.destroy();
    return;
  }
  const headers = responseHeaders(up.headers, ctx);
  if (opts.rewriteName && up.statusCode === 200 && method === 'GET') {
    // tags list: {"name": "<reg>/<repo>", "tags": [...]}
    const json = (await up.body.json()) as { name?: string };
    if (typeof json.name === 'string' && json.name.startsWith(`${ctx.reg}/`))
      json.name = json.name.slice(ctx.reg.length + 1);
    const body = JSON.stringify(json);
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(up.statusCode, headers);
    res.end(body);
    return;
  }
  if (up.statusCode >= 400 && method !== 'HEAD') {
    const body = await readCapped(up.body, ERROR_BODY_MAX);
    const clean = Buffer.from(sanitizeErrorBody(body.toString('utf8'), ctx.reg));
    headers['content-length'] = String(clean.length);
    res.writeHead(up.statusCode, headers);
    res.end(clean);
    return;
  }
  res.writeHead(up.statusCode, headers);
  pipeline(up.body, res, noop);
}

/** At most `max` bytes of a body; the rest is drained (an error body is small). */
async function readCapped(body: AsyncIterable<Buffer>, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    if (size < max) chunks.push(c.subarray(0, max - size));
    size += c.length;
  }
  return Buffer.concat(chunks);
}

/**
 * The catalog, restricted to one lab registry: the real registry lists every lab registry's
 * repositories, so the front reads it whole (bounded: 100 pages of 1,000), filters and
 * pages itself with the spec's n/last and Link.
 */
export async function catalog(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ProxyContext,
  query: URLSearchParams,
) {
  const mine: string[] = [];
  let last = '';
  try {
    for (let page = 0; page < 100; page++) {
      const up = await ctx.pool.request({
        method: 'GET',
        path: `/v2/_catalog?n=1000${last ? `&last=${encodeURIComponent(last)}` : ''}`,
        headersTimeout: 10_000,
      });
      const json = (await up.body.json()) as { repositories?: string[] };
      const repos = json.repositories ?? [];
      for (const r of repos) if (r.startsWith(`${ctx.reg}/`)) mine.push(r.slice(ctx.reg.length + 1));
      if (!up.headers.link || repos.length === 0) break;
      last = repos[repos.length - 1]!;
    }
  } catch (e) {
    return ociError(res, 503, 'UNAVAILABLE', `registry unavailable: ${(e as Error).message}`);
  }
  mine.sort();
  const n = Number(query.get('n') ?? 0);
  const after = query.get('last');
  const rest = after ? mine.filter((r) => r > after) : mine;
  const page = n > 0 ? rest.slice(0, n) : rest;
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'docker-distribution-api-version': 'registry/2.0',
  };
  if (n > 0 && rest.length > n)
    headers.link = `</v2/_catalog?last=${encodeURIComponent(page[page.length - 1]!)}&n=${n}>; rel="next"`;
  const body = JSON.stringify({ repositories: page });
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}
