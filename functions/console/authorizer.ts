import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { type IdTokenVerifier, operatorFromCookies } from './cognito-session.ts';

/**
 * The console routes' API Gateway authorizer (a REQUEST Lambda authorizer): Allow for exactly the
 * method asked, naming the operator, when the request's session cookie holds an ID token this
 * user pool signed for the console's client and it has not expired.
 *
 * Why not a COGNITO_USER_POOLS authorizer: it reads the token from a header (Authorization), and
 * a browser following a link or posting a form sends none; the console's token lives in an
 * HttpOnly cookie so that no page script can read it. Anything else throws `Unauthorized`, which
 * API Gateway answers with its UNAUTHORIZED gateway response: a redirect to the login page.
 */
export function createConsoleAuthorizer(verifier: IdTokenVerifier) {
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const headers = event.headers ?? {};
    const cookie = Object.entries(headers).find(([name]) => name.toLowerCase() === 'cookie')?.[1];
    const operator = await operatorFromCookies(verifier, cookie ?? undefined);
    // API Gateway's own word for a 401; any other message would be a 500 to the browser.
    if (!operator) throw new Error('Unauthorized');
    return {
      principalId: operator.sub,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
      },
      context: { operator: operator.email ?? operator.sub },
    };
  };
}
