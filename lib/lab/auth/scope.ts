/**
 * Docker token scopes (`repository:<name>:<actions>`, `registry:catalog:*`) and the
 * role -> action mapping ACR applies: the granted access is requested scope ∩ role.
 */
/** Docker's pull/push/delete plus ACR's metadata actions (its /acr/v1/ API). */
export type Action = 'pull' | 'push' | 'delete' | 'metadata_read' | 'metadata_write';
export const ALL_ACTIONS: readonly Action[] = ['pull', 'push', 'delete', 'metadata_read', 'metadata_write'];

export interface Access {
  type: 'repository' | 'registry';
  name: string;
  actions: string[];
}

/** Scopes from repeated `scope` params, each possibly holding several space-separated scopes. */
export function parseScopes(values: string[]): Access[] {
  const out: Access[] = [];
  for (const v of values)
    for (const s of v.split(' ')) {
      if (!s) continue;
      // name may not contain ':' (distribution's grammar), but type and actions are split off the ends
      const first = s.indexOf(':');
      const last = s.lastIndexOf(':');
      if (first < 0 || last === first) continue;
      const type = s.slice(0, first);
      if (type !== 'repository' && type !== 'registry') continue;
      out.push({
        type,
        name: s.slice(first + 1, last),
        actions: s
          .slice(last + 1)
          .split(',')
          .filter(Boolean),
      });
    }
  return out;
}

/**
 * Azure built-in roles as ACR maps them to repository actions: reading metadata (listing
 * tags and manifests, properties) goes with pull, changing it with push, deleting with
 * AcrDelete.
 */
export function actionsForRoles(roles: readonly string[]): Set<Action> {
  const out = new Set<Action>();
  for (const r of roles) {
    const role = r.toLowerCase();
    if (role === 'acrpull' || role === 'reader') {
      out.add('pull');
      out.add('metadata_read');
    }
    if (role === 'acrpush') {
      out.add('pull');
      out.add('push');
      out.add('metadata_read');
      out.add('metadata_write');
    }
    if (role === 'acrdelete') out.add('delete');
    if (role === 'owner' || role === 'contributor' || role === 'admin')
      for (const a of ALL_ACTIONS) out.add(a);
  }
  return out;
}

/** requested ∩ allowed; `*` asks for everything allowed. Entries left empty are dropped. */
export function grant(requested: Access[], allowed: ReadonlySet<Action>): Access[] {
  const out: Access[] = [];
  for (const r of requested) {
    if (r.type === 'registry') {
      // catalog listing is a read: ACR gives it to principals that can pull
      if (r.name === 'catalog' && allowed.has('pull'))
        out.push({ type: 'registry', name: 'catalog', actions: ['*'] });
      continue;
    }
    const want = r.actions.includes('*') ? [...ALL_ACTIONS] : r.actions;
    const actions = want.filter((a): a is Action => allowed.has(a as Action));
    if (actions.length) out.push({ type: 'repository', name: r.name, actions: [...new Set(actions)] });
  }
  return out;
}

/** The scope a challenge asks for: push needs pull too (docker's own convention). */
export function challengeScope(repo: string, action: Action): string {
  if (repo === '_catalog') return 'registry:catalog:*';
  return `repository:${repo}:${action === 'push' ? 'pull,push' : action}`;
}
