import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, found from this file rather than from the working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where the local runtime keeps its data: AIOS_DATA_DIR, else .aios/ in the project. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.AIOS_DATA_DIR;
  if (!configured) return resolve(PROJECT_ROOT, '.aios');
  return isAbsolute(configured) ? configured : resolve(process.cwd(), configured);
}

export const DEFAULT_PORT = 8787;

export function apiUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.AIOS_API_URL ?? `http://127.0.0.1:${env.AIOS_PORT ?? DEFAULT_PORT}`).replace(/\/$/, '');
}
