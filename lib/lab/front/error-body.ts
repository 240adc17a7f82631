/**
 * Error bodies the real registry sends name its own layout: repositories as <reg>/<repo>
 * (a lab registry's prefix) and, in a 500's detail, paths under its storage root
 * (…/docker/registry/v2/repositories/<reg>/…, which also names the lab's state dir). A
 * client of ACR sees only its own repository names, so the front rewrites both before an
 * error leaves it: the prefix dropped from every name, storage paths replaced by a word.
 */

/** Error bodies are small JSON; anything larger is passed on as it is (after a cap). */
export const ERROR_BODY_MAX = 64 * 1024;

const STORAGE_PATH = /[^\s"'\\:]*\/docker\/registry\/v2\/[^\s"'\\:]*/g;

export function sanitizeErrorBody(text: string, reg: string): string {
  const escaped = reg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // A name starts a string or follows a separator; "contoso/contoso/x" loses the first only.
  const prefix = new RegExp(`(^|[\\s"'(:=\\[,])${escaped}/`, 'g');
  return text.replace(STORAGE_PATH, '(registry storage)').replace(prefix, '$1');
}
