/** The k6-side OCI client (see DESIGN.md): every function takes its settings as arguments. */
export { type BlobResult, checkedBody, getBlobs, hopUrl } from './blob';
export {
  aadClientToken,
  type CredentialSettings,
  credentialSettings,
  exchangeAadToken,
  loginOnce,
  vuCredentials,
} from './credentials';
export { codeOf, failed, PullError } from './errors';
export { type Family, type FamilyRequest, familyOf, type PullFamily, withFamily } from './family';
export { fromK6, outcome, type VuHttp, type VuResponse } from './http';
export { resolveManifest } from './manifest';
export { SAFE_SYSTEM_TAGS, safeUrl, withSafeNames } from './naming';
export { scriptParams } from './params';
export { type PullHooks, type PullSettings, pullImage } from './pull';
export { type MetricClasses, type PullRecorder, pullRecorder } from './pull-metrics';
export { parseRef } from './reference';
export { type RetryPolicy, withRetry } from './retry';
export { REGION_HEADER, type ServedBy, withServedBy } from './served-by';
export { type Access, bearer, registryToken, scopesFor } from './token';
export { putManifest, uploadBlob } from './upload';
