import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { requireEnv } from '../shared/config.ts';
import { observability } from '../shared/observability.ts';
import { createConsoleAuthorizer } from './authorizer.ts';
import { consoleTokenVerifier } from './cognito-session.ts';

const env = requireEnv(['USER_POOL_ID', 'USER_POOL_CLIENT_ID']);

// Module scope: the verifier caches the pool's JWKS for the life of the execution environment.
const authorize = createConsoleAuthorizer(
  consoleTokenVerifier({ userPoolId: env.USER_POOL_ID, clientId: env.USER_POOL_CLIENT_ID }),
);

// timeoutEarlyInMillis 0: API Gateway bounds the authorizer itself, and tests run it outside Lambda.
export const handler = middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>({
  timeoutEarlyInMillis: 0,
})
  .use(observability())
  .handler((event) => authorize(event));
