/**
 * What each region holds: repository -> tags (tag -> digest) and manifest digests. Seeded at
 * start from the registry's filesystem layout (distribution's `_manifests/tags/<t>/current/link`
 * and `_manifests/revisions/sha256/<hex>/link`, which DELETE removes), then kept current from
 * the region's own notifications and the replicator's writes.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RepoHoldings {
  tags: Map<string, string>;
  digests: Set<string>;
}

export class Holdings {
  readonly repos = new Map<string, RepoHoldings>();

  private repo(name: string): RepoHoldings {
    let r = this.repos.get(name);
    if (!r) {
      r = { tags: new Map(), digests: new Set() };
      this.repos.set(name, r);
    }
    return r;
  }

  put(repo: string, digest: string, tag?: string): void {
    const r = this.repo(repo);
    r.digests.add(digest);
    if (tag) r.tags.set(tag, digest);
  }

  /** A digest delete untags every tag pointing at it (as distribution does). */
  deleteDigest(repo: string, digest: string): void {
    const r = this.repos.get(repo);
    if (!r) return;
    r.digests.delete(digest);
    for (const [t, d] of r.tags) if (d === digest) r.tags.delete(t);
    if (!r.digests.size && !r.tags.size) this.repos.delete(repo);
  }

  deleteTag(repo: string, tag: string): void {
    this.repos.get(repo)?.tags.delete(tag);
  }

  tagOf(repo: string, tag: string): string | undefined {
    return this.repos.get(repo)?.tags.get(tag);
  }

  toJSON(): Record<string, { tags: Record<string, string>; digests: string[] }> {
    const out: Record<string, { tags: Record<string, string>; digests: string[] }> = {};
    for (const [name, r] of [...this.repos].sort(([a], [b]) => a.localeCompare(b)))
      out[name] = { tags: Object.fromEntries([...r.tags].sort()), digests: [...r.digests].sort() };
    return out;
  }

  /** Reads a filesystem-driver registry root; missing dirs mean an empty registry. */
  static async scan(root: string): Promise<Holdings> {
    const h = new Holdings();
    const base = join(root, 'docker/registry/v2/repositories');
    const walk = async (dir: string, name: string, depth: number): Promise<void> => {
      if (depth > 8) return;
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        if (e.name === '_manifests') await scanRepo(h, join(dir, e.name), name);
        else if (!e.name.startsWith('_'))
          await walk(join(dir, e.name), name ? `${name}/${e.name}` : e.name, depth + 1);
      }
    };
    await walk(base, '', 0);
    return h;
  }
}

async function scanRepo(h: Holdings, manifests: string, repo: string): Promise<void> {
  const revs = await readdir(join(manifests, 'revisions/sha256')).catch(() => [] as string[]);
  for (const hex of revs) {
    const link = await readFile(join(manifests, 'revisions/sha256', hex, 'link'), 'utf8').catch(() => '');
    if (link.trim()) h.put(repo, link.trim());
  }
  const tags = await readdir(join(manifests, 'tags')).catch(() => [] as string[]);
  for (const t of tags) {
    const link = await readFile(join(manifests, 'tags', t, 'current/link'), 'utf8').catch(() => '');
    if (link.trim()) h.put(repo, link.trim(), t);
  }
}
