import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** `20261125T100000123Z`: sortable, and free of the separator that follows it in a file name. */
export const outboxTimestamp = (date: Date) => date.toISOString().replace(/[-:.]/g, '');

const FILE_NAME = /^\d{8}T\d{9}Z-(.+)$/;

/** The key as it appears in a file name: as is when safe, otherwise made safe and kept unique by a hash. */
export function fileKey(key: string): string {
  if (/^[A-Za-z0-9_.-]{1,120}$/.test(key)) return key;
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${key.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60)}~${digest}`;
}

/** The outbox file written for `key`, if any: `<timestamp>-<key><extension>` in `dir`. */
export async function findByKey(dir: string, key: string, extension: string): Promise<string | undefined> {
  const wanted = fileKey(key);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const name = names.find(
    (n) => n.endsWith(extension) && FILE_NAME.exec(n.slice(0, -extension.length))?.[1] === wanted,
  );
  return name ? join(dir, name) : undefined;
}

export const outboxFileName = (date: Date, key: string, extension: string) =>
  `${outboxTimestamp(date)}-${fileKey(key)}${extension}`;

/**
 * Writes a whole file or nothing: the content goes to a hidden temporary file, is flushed, and
 * is renamed into place, so a crash never leaves a half-written message behind. The rename is
 * the moment the message exists; once `signal` has aborted, it does not happen.
 */
export async function writeFileAtomic(path: string, content: string, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    signal?.throwIfAborted();
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Runs one task at a time per key in this process, so two concurrent sends of one key cannot
 * both miss the other's file. (One process owns a data directory.)
 */
export function perKeyQueue() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => {});
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}
