import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type CredentialLookup, parseStoredCredential } from '../../connectors/http-credential.ts';

/**
 * The local stand-in for Secrets Manager credentials of http.request: one file per credential in
 * `<dataDir>/credentials/http/<name>`, holding JSON with the header value and the hosts it may be
 * sent to (as on AWS). Files others can read are refused.
 */
export function localCredentials(dataDir: string): CredentialLookup {
  const dir = join(dataDir, 'credentials', 'http');
  return async (name) => {
    const file = join(dir, name);
    let mode: number;
    try {
      mode = (await stat(file)).mode;
    } catch {
      throw new Error(
        `no credential file ${file}; create it (mode 0600) holding {"value": "<header value>", "hosts": ["api.example.com"]}`,
      );
    }
    if ((mode & 0o077) !== 0) throw new Error(`${file} is readable by others; chmod 600 it`);
    return parseStoredCredential(name, (await readFile(file, 'utf8')).trim(), file);
  };
}
