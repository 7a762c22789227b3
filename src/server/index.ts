export { createHttpApp, MAX_BODY_BYTES, OPENAPI_PATH } from "./app.js";
export { startHttpServer, type HttpServer } from "./serve.js";
export type { AppEnv, Principal, ServerDeps } from "./context.js";
export {
  ROLES,
  Role,
  CreateTokenInput,
  authenticate,
  createToken,
  listTokens,
  revokeToken,
  roleAtLeast,
  tokenActorName,
  type CreatedToken,
  type TokenInfo,
  type TokenPrincipal,
} from "./auth/tokens.js";
export { MAX_SIGNATURE_SKEW_MS, SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody, verifySignature } from "./auth/signature.js";
export { TOKEN_COOKIE, actorOf, authenticateRequest, requireRole } from "./auth/middleware.js";
