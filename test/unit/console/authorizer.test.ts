import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../../functions/console/auth.ts';
import { createConsoleAuthorizer } from '../../../functions/console/authorizer.ts';
import { CLIENT_ID, issuerOf, localPool, verifierFor } from '../../support/cognito-tokens.ts';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/GET/console/runs';
const pool = localPool();
const authorize = createConsoleAuthorizer(verifierFor(pool));
const event = (cookie?: string) =>
  ({
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    headers: cookie === undefined ? {} : { Cookie: cookie },
  }) as unknown as APIGatewayRequestAuthorizerEvent;

describe('the console authorizer', () => {
  it('allows exactly the asked method to the operator the session cookie names', async () => {
    const result = await authorize(event(`theme=dark; ${SESSION_COOKIE}=${pool.idToken()}`));
    expect(result.principalId).toBe('operator-sub');
    expect(result.context).toEqual({ operator: 'op@example.com' });
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: METHOD_ARN },
    ]);
  });

  it('refuses (401, the redirect to login) without a cookie, with an expired token, or one of another pool or client', async () => {
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    const refused = [
      undefined,
      'theme=dark',
      `${SESSION_COOKIE}=`,
      `${SESSION_COOKIE}=not-a-jwt`,
      `${SESSION_COOKIE}=${pool.idToken({ exp: hourAgo, iat: hourAgo - 3600 })}`,
      `${SESSION_COOKIE}=${pool.idToken({ iss: issuerOf('eu-west-1_OtherPool') })}`,
      `${SESSION_COOKIE}=${pool.idToken({ aud: 'another-client' })}`,
      `${SESSION_COOKIE}=${pool.idToken({ token_use: 'access', client_id: CLIENT_ID })}`,
      // Same claims, signed by a key that is not the pool's.
      `${SESSION_COOKIE}=${localPool().idToken()}`,
    ];
    for (const cookie of refused)
      await expect(authorize(event(cookie)), String(cookie)).rejects.toThrow(/^Unauthorized$/);
  });
});
