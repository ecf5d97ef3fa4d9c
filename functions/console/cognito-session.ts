import { CognitoJwtVerifier } from 'aws-jwt-verify/cognito-verifier';
import { FetchError } from 'aws-jwt-verify/error';
import { parse } from 'hono/utils/cookie';
import { SESSION_COOKIE } from './auth.ts';

/** What the console needs of aws-jwt-verify: a verified ID token's claims, or a throw. */
export interface IdTokenVerifier {
  verify(token: string): Promise<{ sub: string; [claim: string]: unknown }>;
}

/** The operator a verified session token names; the token itself stays in the HttpOnly cookie. */
export interface ConsoleOperator {
  sub: string;
  email?: string;
  token: string;
}

/**
 * Verifies the console's ID tokens: signed by this user pool (its JWKS, fetched once per cold start
 * and cached by aws-jwt-verify), issued to the console's client, an ID token, not expired.
 */
export const consoleTokenVerifier = (options: { userPoolId: string; clientId: string }): IdTokenVerifier =>
  CognitoJwtVerifier.create({ userPoolId: options.userPoolId, tokenUse: 'id', clientId: options.clientId });

/**
 * The operator the request's session cookie names, or undefined when there is no cookie or its
 * token is not one this console accepts (forged, expired, another pool or client). A JWKS that
 * cannot be fetched is thrown, not read as "signed out": that would send the operator round the
 * sign-in in a loop while Cognito is unreachable.
 */
export async function operatorFromCookies(
  verifier: IdTokenVerifier,
  cookieHeader: string | undefined,
): Promise<ConsoleOperator | undefined> {
  const token = cookieHeader ? parse(cookieHeader, SESSION_COOKIE)[SESSION_COOKIE] : undefined;
  if (!token) return undefined;
  try {
    const claims = await verifier.verify(token);
    return { sub: claims.sub, ...(typeof claims.email === 'string' ? { email: claims.email } : {}), token };
  } catch (error) {
    if (error instanceof FetchError) throw error;
    return undefined;
  }
}
