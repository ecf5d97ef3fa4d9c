import { readSecretText } from './secrets.ts';

/**
 * The capability-grant signing key, from Secrets Manager through Powertools parameters (cached
 * for five minutes, so a rotated key is picked up without a redeploy). Never logged.
 */
export function grantKeyFromSecret(secretId: string): () => Promise<string> {
  return async () => {
    const value = await readSecretText(secretId);
    if (value.length < 32) {
      throw new Error(`secret ${secretId} must hold a signing key of at least 32 characters`);
    }
    return value;
  };
}
