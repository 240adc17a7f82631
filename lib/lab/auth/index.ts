export { signJwt, verifyJwt } from './jwt';
export { type Access, type Action, actionsForRoles, challengeScope, grant, parseScopes } from './scope';
export {
  type AadClaims,
  type AuthDecision,
  type AuthOptions,
  type AuthService,
  createAuth,
  NULL_GUID,
} from './service';
