import type { Hono } from 'hono';
import type { ConsoleFunction } from '../api/route-spec.ts';
import { requireEnv } from '../shared/config.ts';
import { createCognitoConsoleAuth } from './cognito-auth.tsx';
import { consoleTokenVerifier } from './cognito-session.ts';
import { consoleRoutes } from './console-app.tsx';
import { buildConsoleApp, type ConsoleHandlers } from './console-kit.tsx';

/**
 * One console function's app on AWS: its rows of the table, behind the console authorizer, each
 * page checking the Cognito session itself as well (the same auth in every console function).
 */
export function awsConsoleApp(fn: ConsoleFunction, handlers: ConsoleHandlers): Hono {
  const env = requireEnv([
    'USER_POOL_ID',
    'USER_POOL_CLIENT_ID',
    'SIGN_IN_URL',
    'CONSOLE_CALLBACK_URL',
    'CONSOLE_LOGOUT_URL',
  ]);
  return buildConsoleApp(
    consoleRoutes('aws', [fn]),
    handlers,
    createCognitoConsoleAuth({
      clientId: env.USER_POOL_CLIENT_ID,
      signInUrl: env.SIGN_IN_URL,
      callbackUrl: env.CONSOLE_CALLBACK_URL,
      logoutUrl: env.CONSOLE_LOGOUT_URL,
      verifier: consoleTokenVerifier({ userPoolId: env.USER_POOL_ID, clientId: env.USER_POOL_CLIENT_ID }),
    }),
  );
}
