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

const powertoolsGetSecret: FetchSecret = (name, options) => getSecret(name, options);

/** Reading a secret failed; `errorName` is Secrets Manager's (ResourceNotFoundException, ...). The value is never in it. */
export class SecretReadError extends Error {
  constructor(
    readonly secretId: string,
    readonly errorName: string,
    options?: ErrorOptions,
  ) {
    super(`could not read ${secretId} from Secrets Manager: ${errorName}`, options);
    this.name = 'SecretReadError';
  }
}

/**
 * A secret's value as trimmed text, through Powertools parameters, which caches it for `maxAge`
 * seconds so a rotation reaches warm containers. The one way every adapter here reads a secret.
 */
export async function readSecretText(
  secretId: string,
  options: { maxAgeSeconds?: number; fetchSecret?: FetchSecret } = {},
): Promise<string> {
  let value: unknown;
  try {
    value = await (options.fetchSecret ?? powertoolsGetSecret)(secretId, {
      maxAge: options.maxAgeSeconds ?? SECRET_MAX_AGE_SECONDS,
    });
  } catch (error) {
    const name = (error as { cause?: { name?: string } }).cause?.name ?? (error as Error).name;
    throw new SecretReadError(secretId, name, { cause: error });
  }
  return (
    value instanceof Uint8Array ? new TextDecoder().decode(value) : typeof value === 'string' ? value : ''
  ).trim();
}

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
  return async () => {
    let token: string;
    try {
      token = await readSecretText(options.secretId, options);
    } catch (error) {
      if (!(error instanceof SecretReadError)) throw error;
      const message = `could not read the Slack bot token from Secrets Manager (${options.secretId}): ${error.errorName}`;
      throw PERMANENT.has(error.errorName)
        ? new PermanentConnectorError(message, { cause: error.cause })
        : new TransientConnectorError(message, { cause: error.cause });
    }
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
