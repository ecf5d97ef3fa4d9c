import { type FetchSecret, readSecretText, SecretReadError } from '../../adapters/aws/secrets.ts';
import { SlackSigningSecretError } from './errors.ts';

export type FetchSigningSecret = FetchSecret;

export interface SlackSigningSecretOptions {
  /** Name or ARN of the secret (e.g. env SLACK_SIGNING_SECRET_SECRET). */
  secretId: string;
  maxAgeSeconds?: number;
  /** Powertools' cached `getSecret` by default; tests pass their own. */
  fetchSecret?: FetchSigningSecret;
}

/**
 * The Slack app's signing secret, read lazily from Secrets Manager through Powertools parameters
 * (cached for `maxAgeSeconds`, so a rotation reaches warm containers). Errors name the secret, never its value.
 */
export function slackSigningSecretFromSecret(options: SlackSigningSecretOptions): () => Promise<string> {
  return async () => {
    let secret: string;
    try {
      secret = await readSecretText(options.secretId, options);
    } catch (error) {
      if (!(error instanceof SecretReadError)) throw error;
      throw new SlackSigningSecretError(
        `could not read the Slack signing secret from Secrets Manager (${options.secretId}): ${error.errorName}`,
        { cause: error.cause },
      );
    }
    // Slack's signing secrets are 32 hex characters; anything else is a placeholder or a paste error.
    if (!/^[0-9a-f]{32}$/i.test(secret)) {
      throw new SlackSigningSecretError(
        `the secret ${options.secretId} does not hold a Slack signing secret (32 hex characters, from the app's Basic Information page)`,
      );
    }
    return secret;
  };
}
