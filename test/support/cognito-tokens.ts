import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { CognitoJwtVerifier } from 'aws-jwt-verify/cognito-verifier';
import type { IdTokenVerifier } from '../../functions/console/cognito-session.ts';

export const POOL_ID = 'eu-west-1_TestPool1';
export const CLIENT_ID = 'console-client-id';
const REGION = 'eu-west-1';
export const issuerOf = (poolId: string) => `https://cognito-idp.${REGION}.amazonaws.com/${poolId}`;

/** A user pool's signing key made here: its JWKS for the verifier, and ID tokens signed with it. */
export function localPool(kid = 'test-key') {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    jwks: { keys: [jwk] },
    /** An ID token as Cognito issues it; `claims` overrides any claim (iss, aud, exp, token_use …). */
    idToken(claims: Record<string, unknown> = {}): string {
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        sub: 'operator-sub',
        email: 'op@example.com',
        iss: issuerOf(POOL_ID),
        aud: CLIENT_ID,
        token_use: 'id',
        auth_time: now,
        iat: now,
        exp: now + 3600,
        jti: randomUUID(),
        ...claims,
      };
      const body = `${b64({ alg: 'RS256', kid, typ: 'JWT' })}.${b64(payload)}`;
      const signature = createSign('RSA-SHA256').update(body).sign(privateKey).toString('base64url');
      return `${body}.${signature}`;
    },
  };
}

/** aws-jwt-verify's Cognito verifier for POOL_ID and CLIENT_ID, with the local pool's JWKS cached (no fetch). */
export function verifierFor(pool: ReturnType<typeof localPool>): IdTokenVerifier {
  const verifier = CognitoJwtVerifier.create({ userPoolId: POOL_ID, tokenUse: 'id', clientId: CLIENT_ID });
  verifier.cacheJwks(pool.jwks as never);
  return verifier;
}
