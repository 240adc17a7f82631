/**
 * A subset of ACR's own metadata API (`/acr/v1/`), the one @azure/container-registry's
 * ContainerRegistryClient, ContainerRepository and RegistryArtifact call:
 *
 *   GET    /acr/v1/_catalog?n=&last=                 repositories        registry:catalog:*
 *   GET    /acr/v1/<repo>                            repository props    repository:<repo>:metadata_read
 *   PATCH  /acr/v1/<repo>                            change can* flags   repository:<repo>:metadata_write
 *   DELETE /acr/v1/<repo>                            delete repository   repository:<repo>:delete
 *   GET    /acr/v1/<repo>/_tags?n=&last=&orderby=&digest=
 *   GET|PATCH|DELETE /acr/v1/<repo>/_tags/<tag>
 *   GET    /acr/v1/<repo>/_manifests?n=&last=&orderby=
 *   GET|PATCH /acr/v1/<repo>/_manifests/<digest>
 *
 * Backed by the region's real registry: repositories, manifests and tags are read from its
 * filesystem storage (distribution 2.8 has no API that lists a repository's manifests),
 * manifest and config bodies from its blob store, and deletes of manifests go through its
 * HTTP API (so they emit notifications and replicate). The changeable attributes (can*
 * flags) live in memory per front, i.e. per region, and reset when the lab restarts.
 *
 * Tag delete: distribution 2.8 cannot untag through its API (DELETE /manifests/<tag> is
 * refused), so the front removes the tag's link from the registry's storage, exactly what
 * the registry's own untag does; the manifest stays (untagged), as in ACR. Limitation: no
 * registry notification is emitted for it, so the other replicas keep the tag.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Pool } from 'undici';
import type { Action } from '../auth';
import { blobDataPath } from '../registry-process';
import { ociError } from './oci-error';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = `${COMPONENT}(?:/${COMPONENT})*`;
const DIGEST = 'sha256:[a-f0-9]{64}';
const TAG = '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}';

export type AcrRoute =
  | { kind: 'catalog' }
  | { kind: 'repo'; repo: string }
  | { kind: 'tags'; repo: string }
  | { kind: 'tag'; repo: string; tag: string }
  | { kind: 'manifests'; repo: string }
  | { kind: 'manifest'; repo: string; digest: string };

const PATTERNS: Array<[RegExp, (m: RegExpExecArray) => AcrRoute]> = [
  [/^\/acr\/v1\/_catalog$/, () => ({ kind: 'catalog' })],
  [new RegExp(`^/acr/v1/(${NAME})/_tags$`), (m) => ({ kind: 'tags', repo: m[1]! })],
  [new RegExp(`^/acr/v1/(${NAME})/_tags/(${TAG})$`), (m) => ({ kind: 'tag', repo: m[1]!, tag: m[2]! })],
  [new RegExp(`^/acr/v1/(${NAME})/_manifests$`), (m) => ({ kind: 'manifests', repo: m[1]! })],
  [
    new RegExp(`^/acr/v1/(${NAME})/_manifests/(${DIGEST})$`),
    (m) => ({ kind: 'manifest', repo: m[1]!, digest: m[2]! }),
  ],
  [new RegExp(`^/acr/v1/(${NAME})$`), (m) => ({ kind: 'repo', repo: m[1]! })],
];

export function matchAcr(path: string): AcrRoute | null {
  for (const [re, make] of PATTERNS) {
    const m = re.exec(path);
    if (m) return make(m);
  }
  return null;
}

/** What ACR asks for: reads metadata_read, PATCH metadata_write, DELETE delete; the catalog its own scope. */
export function acrActionFor(method: string): Action {
  if (method === 'DELETE') return 'delete';
  if (method === 'PATCH') return 'metadata_write';
  return 'metadata_read';
}

export interface Changeable {
  deleteEnabled: boolean;
  writeEnabled: boolean;
  listEnabled: boolean;
  readEnabled: boolean;
}
const FLAGS = ['deleteEnabled', 'writeEnabled', 'listEnabled', 'readEnabled'] as const;
const allEnabled = (): Changeable => ({
  deleteEnabled: true,
  writeEnabled: true,
  listEnabled: true,
  readEnabled: true,
});

/** The in-memory part: can* flags of repositories, tags and manifests (key: <reg>/<repo>[:tag|@digest]). */
export class AcrMetadata {
  private readonly flags = new Map<string, Changeable>();
  get(key: string): Changeable {
    return this.flags.get(key) ?? allEnabled();
  }
  patch(key: string, body: unknown): Changeable {
    const next = this.get(key);
    if (body && typeof body === 'object')
      for (const f of FLAGS) {
        const v = (body as Record<string, unknown>)[f];
        if (typeof v === 'boolean') next[f] = v;
      }
    this.flags.set(key, next);
    return next;
  }
  forget(prefix: string): void {
    for (const k of [...this.flags.keys()])
      if (k === prefix || k.startsWith(`${prefix}:`) || k.startsWith(`${prefix}@`)) this.flags.delete(k);
  }
}

export interface AcrContext {
  pool: Pool;
  /** Filesystem root of the region's registry. */
  registryRoot: string;
  /** Lab registry name (repositories are <reg>/<repo> in the real registry). */
  reg: string;
  /** The registry's login server (its global name), ACR's `registry` field. */
  loginServer: string;
  meta: AcrMetadata;
}

interface TagInfo {
  name: string;
  digest: string;
  createdTime: string;
  lastUpdateTime: string;
}
interface ManifestInfo {
  digest: string;
  createdTime: string;
  lastUpdateTime: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const created = (s: { birthtimeMs: number; mtimeMs: number }) =>
  s.birthtimeMs > 0 ? Math.min(s.birthtimeMs, s.mtimeMs) : s.mtimeMs;

const repoDir = (ctx: AcrContext, repo: string) =>
  join(ctx.registryRoot, 'docker/registry/v2/repositories', ctx.reg, repo);

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function listManifests(ctx: AcrContext, repo: string): Promise<ManifestInfo[]> {
  const dir = join(repoDir(ctx, repo), '_manifests/revisions/sha256');
  let hexes: string[];
  try {
    hexes = await readdir(dir);
  } catch {
    return [];
  }
  const out: ManifestInfo[] = [];
  for (const hex of hexes) {
    try {
      const s = await stat(join(dir, hex, 'link'));
      out.push({ digest: `sha256:${hex}`, createdTime: iso(created(s)), lastUpdateTime: iso(s.mtimeMs) });
    } catch {
      // a deleted manifest leaves its directory without a link
    }
  }
  return out;
}

async function listTags(ctx: AcrContext, repo: string): Promise<TagInfo[]> {
  const dir = join(repoDir(ctx, repo), '_manifests/tags');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: TagInfo[] = [];
  for (const name of names) {
    try {
      const link = join(dir, name, 'current/link');
      const [digest, s, d] = await Promise.all([readFile(link, 'utf8'), stat(link), stat(join(dir, name))]);
      out.push({
        name,
        digest: digest.trim(),
        createdTime: iso(created(d)),
        lastUpdateTime: iso(s.mtimeMs),
      });
    } catch {
      // half-written or removed tag
    }
  }
  return out;
}

interface Descriptor {
  digest?: string;
  size?: number;
  platform?: { architecture?: string; os?: string };
}

/** Size, platform and references of a manifest, from the registry's blob store. */
async function describeManifest(ctx: AcrContext, digest: string) {
  const body = await readFile(blobDataPath(ctx.registryRoot, digest));
  const m = JSON.parse(body.toString('utf8')) as {
    mediaType?: string;
    config?: Descriptor;
    layers?: Descriptor[];
    manifests?: Descriptor[];
  };
  let size = body.length;
  let architecture: string | undefined;
  let os: string | undefined;
  let references: Array<{ digest: string; architecture?: string; os?: string }> | undefined;
  if (Array.isArray(m.manifests)) {
    references = m.manifests.map((d) => ({
      digest: String(d.digest),
      ...(d.platform?.architecture ? { architecture: d.platform.architecture } : {}),
      ...(d.platform?.os ? { os: d.platform.os } : {}),
    }));
  } else {
    size += (m.config?.size ?? 0) + (m.layers ?? []).reduce((a, l) => a + (l.size ?? 0), 0);
    if (m.config?.digest && (m.config.size ?? 0) < 1 << 20) {
      try {
        const c = JSON.parse(await readFile(blobDataPath(ctx.registryRoot, m.config.digest), 'utf8'));
        if (typeof c.architecture === 'string') architecture = c.architecture;
        if (typeof c.os === 'string') os = c.os;
      } catch {
        // a config that is not JSON (an artifact): no platform
      }
    }
  }
  return { size, mediaType: m.mediaType, architecture, os, references };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'docker-distribution-api-version': 'registry/2.0',
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit = 64 << 10): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() ? JSON.parse(text) : {};
}

/** Sort and page like ACR: by name (or time with orderby), `last` = the previous page's last key, Link rel=next. */
function page<T>(
  items: T[],
  key: (t: T) => string,
  time: (t: T) => string,
  q: URLSearchParams,
  path: string,
): { items: T[]; link?: string } {
  const orderby = q.get('orderby') ?? '';
  const sorted = items.slice().sort((a, b) => {
    if (orderby === 'timedesc') return time(b).localeCompare(time(a)) || key(a).localeCompare(key(b));
    if (orderby === 'timeasc') return time(a).localeCompare(time(b)) || key(a).localeCompare(key(b));
    return key(a).localeCompare(key(b));
  });
  const last = q.get('last');
  let rest = sorted;
  if (last) {
    const i = sorted.findIndex((t) => key(t) === last);
    rest = i >= 0 ? sorted.slice(i + 1) : orderby ? sorted : sorted.filter((t) => key(t) > last);
  }
  const n = Number(q.get('n') ?? 0);
  if (!(n > 0) || rest.length <= n) return { items: rest };
  const out = rest.slice(0, n);
  const next = new URLSearchParams({ last: key(out[out.length - 1]!), n: String(n) });
  if (orderby) next.set('orderby', orderby);
  return { items: out, link: `<${path}?${next}>; rel="next"` };
}

async function catalogRepos(ctx: AcrContext): Promise<string[]> {
  const mine: string[] = [];
  let last = '';
  for (let p = 0; p < 100; p++) {
    const up = await ctx.pool.request({
      method: 'GET',
      path: `/v2/_catalog?n=1000${last ? `&last=${encodeURIComponent(last)}` : ''}`,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const json = (await up.body.json()) as { repositories?: string[] };
    const repos = json.repositories ?? [];
    for (const r of repos) if (r.startsWith(`${ctx.reg}/`)) mine.push(r.slice(ctx.reg.length + 1));
    if (!up.headers.link || repos.length === 0) break;
    last = repos[repos.length - 1]!;
  }
  return mine;
}

export async function serveAcr(
  req: IncomingMessage,
  res: ServerResponse,
  route: AcrRoute,
  ctx: AcrContext,
  query: URLSearchParams,
): Promise<void> {
  const method = req.method ?? 'GET';
  const registry = ctx.loginServer;
  const notAllowed = () =>
    ociError(res, 405, 'UNSUPPORTED', `${method} is not supported on this /acr/v1 resource`, {
      allow: route.kind === 'repo' || route.kind === 'tag' ? 'GET, PATCH, DELETE' : 'GET, PATCH',
    });

  if (route.kind === 'catalog') {
    if (method !== 'GET') return notAllowed();
    const repos = await catalogRepos(ctx);
    const p = page(
      repos,
      (r) => r,
      (r) => r,
      query,
      '/acr/v1/_catalog',
    );
    return sendJson(res, 200, { repositories: p.items }, p.link ? { link: p.link } : {});
  }

  const { repo } = route;
  const key = `${ctx.reg}/${repo}`;
  if (!(await exists(join(repoDir(ctx, repo), '_manifests'))))
    return ociError(res, 404, 'NAME_UNKNOWN', `repository ${repo} is not known to registry ${registry}`);

  const tagJson = (t: TagInfo) => ({
    name: t.name,
    digest: t.digest,
    createdTime: t.createdTime,
    lastUpdateTime: t.lastUpdateTime,
    signed: false,
    changeableAttributes: ctx.meta.get(`${key}:${t.name}`),
  });
  const manifestJson = async (m: ManifestInfo, tags: TagInfo[]) => {
    const d = await describeManifest(ctx, m.digest);
    return {
      digest: m.digest,
      imageSize: d.size,
      createdTime: m.createdTime,
      lastUpdateTime: m.lastUpdateTime,
      ...(d.mediaType ? { mediaType: d.mediaType } : {}),
      ...(d.architecture ? { architecture: d.architecture } : {}),
      ...(d.os ? { os: d.os } : {}),
      ...(d.references ? { references: d.references } : {}),
      tags: tags.filter((t) => t.digest === m.digest).map((t) => t.name),
      changeableAttributes: ctx.meta.get(`${key}@${m.digest}`),
    };
  };

  switch (route.kind) {
    case 'repo': {
      const [manifests, tags] = await Promise.all([listManifests(ctx, repo), listTags(ctx, repo)]);
      if (method === 'DELETE') {
        if (!ctx.meta.get(key).deleteEnabled)
          return ociError(res, 405, 'OPERATION_NOT_ALLOWED', `repository ${repo} is delete-locked`);
        const deleted: string[] = [];
        for (const m of manifests) {
          const up = await ctx.pool.request({
            method: 'DELETE',
            path: `/v2/${key}/manifests/${m.digest}`,
            headersTimeout: 30_000,
          });
          await up.body.dump();
          if (up.statusCode === 202 || up.statusCode === 404) deleted.push(m.digest);
          else
            return ociError(res, 502, 'UNKNOWN', `registry answered ${up.statusCode} deleting ${m.digest}`);
        }
        // the registry keeps listing a repository whose directory exists: remove it
        await rm(repoDir(ctx, repo), { recursive: true, force: true });
        ctx.meta.forget(key);
        return sendJson(res, 202, { manifestsDeleted: deleted, tagsDeleted: tags.map((t) => t.name) });
      }
      if (method === 'PATCH') ctx.meta.patch(key, await readBody(req));
      else if (method !== 'GET') return notAllowed();
      const d = await stat(repoDir(ctx, repo));
      const times = [...manifests, ...tags].map((x) => x.lastUpdateTime).sort();
      return sendJson(res, 200, {
        registry,
        imageName: repo,
        createdTime: iso(created(d)),
        lastUpdateTime: times[times.length - 1] ?? iso(d.mtimeMs),
        manifestCount: manifests.length,
        tagCount: tags.length,
        changeableAttributes: ctx.meta.get(key),
      });
    }
    case 'tags': {
      if (method !== 'GET') return notAllowed();
      let tags = await listTags(ctx, repo);
      const digest = query.get('digest');
      if (digest) tags = tags.filter((t) => t.digest === digest);
      const p = page(
        tags,
        (t) => t.name,
        (t) => t.lastUpdateTime,
        query,
        `/acr/v1/${repo}/_tags`,
      );
      return sendJson(
        res,
        200,
        { registry, imageName: repo, tags: p.items.map(tagJson) },
        p.link ? { link: p.link } : {},
      );
    }
    case 'tag': {
      const t = (await listTags(ctx, repo)).find((x) => x.name === route.tag);
      if (!t) return ociError(res, 404, 'TAG_UNKNOWN', `tag ${route.tag} is not known in ${repo}`);
      const tkey = `${key}:${t.name}`;
      if (method === 'DELETE') {
        if (!ctx.meta.get(tkey).deleteEnabled)
          return ociError(res, 405, 'OPERATION_NOT_ALLOWED', `tag ${t.name} is delete-locked`);
        await rm(join(repoDir(ctx, repo), '_manifests/tags', t.name), { recursive: true, force: true });
        ctx.meta.forget(tkey);
        res.writeHead(202, { 'content-length': 0, 'docker-distribution-api-version': 'registry/2.0' });
        res.end();
        return;
      }
      if (method === 'PATCH') ctx.meta.patch(tkey, await readBody(req));
      else if (method !== 'GET') return notAllowed();
      return sendJson(res, 200, { registry, imageName: repo, tag: tagJson(t) });
    }
    case 'manifests': {
      if (method !== 'GET') return notAllowed();
      const [manifests, tags] = await Promise.all([listManifests(ctx, repo), listTags(ctx, repo)]);
      const p = page(
        manifests,
        (m) => m.digest,
        (m) => m.lastUpdateTime,
        query,
        `/acr/v1/${repo}/_manifests`,
      );
      const items = [];
      for (const m of p.items) items.push(await manifestJson(m, tags));
      return sendJson(
        res,
        200,
        { registry, imageName: repo, manifests: items },
        p.link ? { link: p.link } : {},
      );
    }
    case 'manifest': {
      const [manifests, tags] = await Promise.all([listManifests(ctx, repo), listTags(ctx, repo)]);
      const m = manifests.find((x) => x.digest === route.digest);
      if (!m)
        return ociError(res, 404, 'MANIFEST_UNKNOWN', `manifest ${route.digest} is not known in ${repo}`);
      if (method === 'PATCH') ctx.meta.patch(`${key}@${m.digest}`, await readBody(req));
      else if (method !== 'GET') return notAllowed();
      return sendJson(res, 200, { registry, imageName: repo, manifest: await manifestJson(m, tags) });
    }
  }
}
