import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { PermanentConnectorError, TransientConnectorError } from '../../core/errors.ts';

/** How long a fetched token is reused: a rotated token reaches every warm container within this. */
export const SECRET_MAX_AGE_SECONDS = 300;

/** Secrets Manager answers that another try will not change. */
const PERMANENT = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
]);

export type FetchSecret = (name: string, options: { maxAge: number }) => Promise<unknown>;

export interface SlackBotTokenOptions {
  /** Name or ARN of the secret (env SLACK_BOT_TOKEN_SECRET). */
  secretId: string;
  maxAgeSeconds?: number;
  /** Powertools' cached `getSecret` by default; tests pass their own. */
  fetchSecret?: FetchSecret;
}

/**
 * The Slack bot token, read lazily from Secrets Manager through Powertools parameters, which
 * caches it for `maxAgeSeconds`. Errors name the secret, never its value.
 */
export function slackBotTokenFromSecret(options: SlackBotTokenOptions): () => Promise<string> {
  const fetchSecret: FetchSecret = options.fetchSecret ?? ((name, opts) => getSecret(name, opts));
  const maxAge = options.maxAgeSeconds ?? SECRET_MAX_AGE_SECONDS;
  return async () => {
    let value: unknown;
    try {
      value = await fetchSecret(options.secretId, { maxAge });
    } catch (error) {
      const cause = (error as { cause?: { name?: string } }).cause;
      const name = cause?.name ?? (error as Error).name;
      const message = `could not read the Slack bot token from Secrets Manager (${options.secretId}): ${name}`;
      throw PERMANENT.has(name)
        ? new PermanentConnectorError(message, { cause: error })
        : new TransientConnectorError(message, { cause: error });
    }
    const token = (
      value instanceof Uint8Array ? new TextDecoder().decode(value) : typeof value === 'string' ? value : ''
    ).trim();
    // The construct creates the secret with a random placeholder; until the operator replaces it
    // every call would fail with invalid_auth, so say what to do instead.
    if (!/^xox[a-z]-/.test(token)) {
      throw new PermanentConnectorError(
        `the secret ${options.secretId} does not hold a Slack bot token (xoxb-...): put the bot token in it`,
      );
    }
    return token;
  };
}
