export { type EventRouteInfo, type RawHttpRequest, toApiGatewayProxyEvent } from './api-gateway-event.ts';
export { API_TOKEN_FILE, ensureApiToken, ensureLocalSecret, tokensEqual } from './api-token.ts';
export * from './errors.ts';
export { createLocalContext } from './lambda-context.ts';
export {
  type ApiGatewayHandler,
  compileRoutes,
  type HttpMethod,
  type LocalRoute,
  matchRoute,
} from './routes.ts';
export {
  type HttpLogger,
  type LocalHttpAuth,
  type LocalHttpServer,
  type LocalHttpServerOptions,
  MAX_BODY_BYTES,
  type ServedRoute,
  startLocalHttpServer,
} from './server.ts';
