import { randomBytes } from 'node:crypto';

/**
 * A task token names the execution it belongs to, after 32 random bytes: an answer finds its
 * execution without a record of the token of its own (one store write per token fewer), and a
 * token whose task is closed is told apart from one never issued, after a restart too. Step
 * Functions' own tokens are opaque text of up to 1,024 characters; these stay well within it.
 */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}\.([A-Za-z0-9_-]{1,900})$/;

/** The form tokens had before they named their execution; each has a TOKEN item in the store. */
export const LEGACY_TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export function issueTaskToken(executionArn: string): string {
  return `${randomBytes(32).toString('base64url')}.${Buffer.from(executionArn).toString('base64url')}`;
}

/** The execution a token was issued for; undefined when it is not a token of this interpreter's form. */
export function executionOfTaskToken(token: string, arnPrefix: string): string | undefined {
  const encoded = TOKEN_FORMAT.exec(token)?.[1];
  if (encoded === undefined) return undefined;
  const arn = Buffer.from(encoded, 'base64url').toString('utf8');
  return arn.startsWith(arnPrefix) ? arn : undefined;
}
