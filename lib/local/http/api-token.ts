import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiTokenFileError } from './errors.ts';

export const API_TOKEN_FILE = 'api-token';

/** The local API token kept in `<dir>/api-token` (see ensureLocalSecret). */
export function ensureApiToken(dir: string): string {
  return ensureLocalSecret(dir, API_TOKEN_FILE);
}

/**
 * Returns the secret kept in `<dir>/<fileName>`, creating it (32 random bytes, hex, mode 0600)
 * when absent: the local stand-in for a Secrets Manager secret. A file readable by others is
 * tightened to 0600.
 */
export function ensureLocalSecret(dir: string, fileName: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, fileName);
  const created = randomBytes(32).toString('hex');
  try {
    // 'wx' fails if the file exists, so two processes starting at once agree on one token.
    writeFileSync(file, `${created}\n`, { flag: 'wx', mode: 0o600 });
    return created;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const token = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(token)) {
    throw new ApiTokenFileError(
      `${file} does not hold a 64-character hex secret; delete it to create a new one`,
    );
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return token;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Compares in constant time; hashing first makes the length of the guess irrelevant too. */
export function tokensEqual(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented));
}
