import type { CredentialLookup } from '../../connectors/http-request.ts';
import { readSecretText } from './secrets.ts';

/** http.request credentials in Secrets Manager under one prefix (`aios/http/<name>`), cached five minutes. */
export function secretsManagerCredentials(prefix: string): CredentialLookup {
  return async (name) => {
    const value = await readSecretText(`${prefix}${name}`);
    if (value.length === 0) throw new Error(`secret ${prefix}${name} is empty`);
    return value;
  };
}
