export { API_TOKEN_FILE, ensureApiToken, ensureLocalSecret, tokensEqual } from './api-token.ts';
export * from './errors.ts';
export { createLocalContext } from './lambda-context.ts';
export {
  bearerAuth,
  type HttpLogger,
  type LocalHttpServer,
  localEdge,
  MAX_BODY_BYTES,
  startLocalHttpServer,
} from './server.ts';
