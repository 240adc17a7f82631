export {
  ACR_SCOPE,
  type AcrTokenOptions,
  aadRegistryCredentials,
  acrAccessToken,
  acrRefreshToken,
} from './auth';
export {
  ACR_AUDIENCE,
  contentClient,
  deleteRepositories,
  pushWithSdk,
  registryClient,
  type SdkPushed,
} from './registry';
