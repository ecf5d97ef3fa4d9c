import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { SECRET_MAX_AGE_SECONDS } from '../../adapters/aws/secrets.ts';
import { SlackSigningSecretError } from './errors.ts';

export type FetchSigningSecret = (name: string, options: { maxAge: number }) => Promise<unknown>;

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
  const fetchSecret: FetchSigningSecret = options.fetchSecret ?? ((name, opts) => getSecret(name, opts));
  const maxAge = options.maxAgeSeconds ?? SECRET_MAX_AGE_SECONDS;
  return async () => {
    let value: unknown;
    try {
      value = await fetchSecret(options.secretId, { maxAge });
    } catch (error) {
      const name = (error as { cause?: { name?: string } }).cause?.name ?? (error as Error).name;
      throw new SlackSigningSecretError(
        `could not read the Slack signing secret from Secrets Manager (${options.secretId}): ${name}`,
        { cause: error },
      );
    }
    const secret = (
      value instanceof Uint8Array ? new TextDecoder().decode(value) : typeof value === 'string' ? value : ''
    ).trim();
    // Slack's signing secrets are 32 hex characters; anything else is a placeholder or a paste error.
    if (!/^[0-9a-f]{32}$/i.test(secret)) {
      throw new SlackSigningSecretError(
        `the secret ${options.secretId} does not hold a Slack signing secret (32 hex characters, from the app's Basic Information page)`,
      );
    }
    return secret;
  };
}
