import { createHmac, randomBytes } from 'node:crypto';

/**
 * A task token names the execution it belongs to, after 32 random bytes: an answer finds its
 * execution without a record of the token of its own (one store write per token fewer), and a
 * token whose task is closed is told apart from one never issued, after a restart too. Step
 * Functions' own tokens are opaque text of up to 1,024 characters; these stay well within it.
 */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}\.([A-Za-z0-9_-]{1,900})$/;

/** The form tokens had before they named their execution; each has a TOKEN item in the store. */
export const LEGACY_TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** A new execution's key for its tokens: 32 random bytes, kept in its META (never shown). */
export const newTokenKey = (): string => randomBytes(32).toString('base64url');

/**
 * With the execution's key, the token of a task is an HMAC of where it is scheduled: the history's
 * position then (its last event id), the state and the state's input. It is as unguessable as 32
 * random bytes, and the same again when a restart takes the same transitions from an earlier
 * checkpoint and schedules that task anew with the same input. A restart that reaches the same
 * position by another path, or the same state with another input, gets another token, so an
 * answer to the first message never completes a task it was not sent for. Without a key (an
 * execution started before keys existed), 32 random bytes.
 */
export function issueTaskToken(
  executionArn: string,
  key?: { tokenKey: string; position: number; stateName: string; input: unknown },
): string {
  const secret = key
    ? createHmac('sha256', Buffer.from(key.tokenKey, 'base64url'))
        .update(JSON.stringify([key.position, key.stateName, key.input]))
        .digest('base64url')
    : randomBytes(32).toString('base64url');
  return `${secret}.${Buffer.from(executionArn).toString('base64url')}`;
}

/** The execution a token was issued for; undefined when it is not a token of this interpreter's form. */
export function executionOfTaskToken(token: string, arnPrefix: string): string | undefined {
  const encoded = TOKEN_FORMAT.exec(token)?.[1];
  if (encoded === undefined) return undefined;
  const arn = Buffer.from(encoded, 'base64url').toString('utf8');
  return arn.startsWith(arnPrefix) ? arn : undefined;
}
