import { type CredentialLookup, parseStoredCredential } from '../../connectors/http-credential.ts';
import { readSecretText } from './secrets.ts';

/**
 * http.request credentials in Secrets Manager under one prefix (`aios/http/<name>`), cached five
 * minutes. Each secret is JSON naming its value and the hosts it may be sent to.
 */
export function secretsManagerCredentials(prefix: string): CredentialLookup {
  return async (name) => {
    const secretId = `${prefix}${name}`;
    const text = await readSecretText(secretId);
    if (text.length === 0) throw new Error(`secret ${secretId} is empty`);
    return parseStoredCredential(name, text, `the secret ${secretId}`);
  };
}
