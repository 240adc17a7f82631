/**
 * The distribution-spec routes the front understands. Repository names follow the spec's
 * grammar, so a greedy name match anchored on the route's tail splits them correctly even
 * when a path component is itself "blobs" or "manifests".
 */
import type { Action } from '../auth';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = `${COMPONENT}(?:/${COMPONENT})*`;
const DIGEST = '[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+';
const TAG = '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}';

export type V2Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'manifest'; repo: string; ref: string }
  | { kind: 'blob'; repo: string; digest: string }
  | { kind: 'upload'; repo: string; id: string }
  | { kind: 'tags'; repo: string }
  | { kind: 'referrers'; repo: string; digest: string };

const PATTERNS: Array<[RegExp, (m: RegExpExecArray) => V2Route]> = [
  [/^\/v2\/?$/, () => ({ kind: 'base' })],
  [/^\/v2\/_catalog$/, () => ({ kind: 'catalog' })],
  [
    new RegExp(`^/v2/(${NAME})/manifests/(${TAG}|${DIGEST})$`),
    (m) => ({ kind: 'manifest', repo: m[1]!, ref: m[2]! }),
  ],
  [new RegExp(`^/v2/(${NAME})/blobs/uploads/([^/]*)$`), (m) => ({ kind: 'upload', repo: m[1]!, id: m[2]! })],
  [new RegExp(`^/v2/(${NAME})/blobs/(${DIGEST})$`), (m) => ({ kind: 'blob', repo: m[1]!, digest: m[2]! })],
  [new RegExp(`^/v2/(${NAME})/tags/list$`), (m) => ({ kind: 'tags', repo: m[1]! })],
  [
    new RegExp(`^/v2/(${NAME})/referrers/(${DIGEST})$`),
    (m) => ({ kind: 'referrers', repo: m[1]!, digest: m[2]! }),
  ],
];

export function matchV2(path: string): V2Route | null {
  for (const [re, make] of PATTERNS) {
    const m = re.exec(path);
    if (m) return make(m);
  }
  return null;
}

/** The action a request needs: reads pull, writes push, deletes delete (uploads are push whatever the verb). */
export function actionFor(route: V2Route, method: string): Action {
  if (route.kind === 'upload') return 'push';
  if (method === 'DELETE') return 'delete';
  if (method === 'GET' || method === 'HEAD') return 'pull';
  return 'push';
}
