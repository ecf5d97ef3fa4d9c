import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { CredentialLookup } from '../../connectors/http-request.ts';

/** http.request credentials in Secrets Manager under one prefix (`aios/http/<name>`), cached five minutes. */
export function secretsManagerCredentials(prefix: string): CredentialLookup {
  return async (name) => {
    const value = await getSecret(`${prefix}${name}`, { maxAge: 300 });
    if (typeof value !== 'string' || value.length === 0) throw new Error(`secret ${prefix}${name} is empty`);
    return value;
  };
}
