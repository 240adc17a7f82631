/**
 * Failures of a VU's registry operation: a PullError carries the stable code it is counted
 * by in results (the OCI error code, Azure Storage's, k6's transport error, or one of the
 * library's own: SIZE_INVALID, DIGEST_INVALID, NO_CHALLENGE).
 */
import { StampedeError } from '../../errors';
import { responseErrorCode } from '../../oci/error-body';
import { outcome, type VuResponse } from './http';

export class PullError extends StampedeError {}

/** A PullError for a failed response: its code and "what: HTTP 404" (no URL, no body). */
export function failed(what: string, res: VuResponse): PullError {
  return new PullError(responseErrorCode(res), `${what}: ${outcome(res)}`);
}

/** The code a thrown value is counted by: a StampedeError's own, else SCRIPT_ERROR. */
export function codeOf(e: unknown): string {
  return e instanceof StampedeError ? e.code : 'SCRIPT_ERROR';
}
