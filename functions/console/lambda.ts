import { awsOperatorPorts } from '../api/aws-operator-ports.ts';
import { createOperatorConsoleApp } from '../app.ts';
import { requireEnv } from '../shared/config.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';
import { createCognitoConsoleAuth } from './cognito-auth.tsx';
import { consoleTokenVerifier } from './cognito-session.ts';

const env = requireEnv([
  'USER_POOL_ID',
  'USER_POOL_CLIENT_ID',
  'SIGN_IN_URL',
  'CONSOLE_CALLBACK_URL',
  'CONSOLE_LOGOUT_URL',
]);
const ports = awsOperatorPorts();

/** The console's pages on AWS, behind the console authorizer; the same services as the API. */
export const handler = httpLambdaHandler(
  createOperatorConsoleApp({
    ...ports.runPorts,
    approvals: ports.approvals,
    handoffs: ports.handoffs,
    runControl: { approvals: ports.approvals, handoffs: ports.handoffStore },
    reviews: ports.trust,
    connectors: ports.connectors,
    deadLetters: ports.deadLetters,
    memory: ports.memory.service,
    target: 'aws',
    auth: createCognitoConsoleAuth({
      clientId: env.USER_POOL_CLIENT_ID,
      signInUrl: env.SIGN_IN_URL,
      callbackUrl: env.CONSOLE_CALLBACK_URL,
      logoutUrl: env.CONSOLE_LOGOUT_URL,
      verifier: consoleTokenVerifier({ userPoolId: env.USER_POOL_ID, clientId: env.USER_POOL_CLIENT_ID }),
    }),
  }),
);
