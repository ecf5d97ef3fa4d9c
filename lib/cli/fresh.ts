import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from './paths.ts';

// The compiled CLI is used only while it matches the sources: bin/aios.mjs asks `isBuildFresh()`
// before every call and runs the sources through tsx when the answer is no. This module is the first
// thing a call loads, so it stays small and synchronous.

/** Where `npm run build:cli` (and so `npm ci`) puts the compiled CLI; git-ignored. */
export const BUILD_DIR = fileURLToPath(new URL('../../bin/dist/', import.meta.url));

const MANIFEST = 'manifest.json';

/** Every file the build read, by its path from the project root, with a digest of its content. */
export interface BuildManifest {
  inputs: Record<string, string>;
}

export function digestOf(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function manifestOf(root: string, inputs: readonly string[]): BuildManifest {
  return { inputs: Object.fromEntries(inputs.map((input) => [input, digestOf(join(root, input))])) };
}

export const manifestPath = (outdir: string) => join(outdir, MANIFEST);

/**
 * Whether the build in `outdir` was made from the files now in `root`: every input it read has the
 * same content. A missing or unreadable build, or a changed, moved or deleted input, is not fresh.
 * Content rather than times, so a checkout that touches files without changing them keeps the build.
 */
export function isBuildFresh(outdir: string = BUILD_DIR, root: string = PROJECT_ROOT): boolean {
  try {
    const manifest = JSON.parse(readFileSync(manifestPath(outdir), 'utf8')) as BuildManifest;
    const inputs = Object.entries(manifest.inputs);
    return inputs.length > 0 && inputs.every(([input, digest]) => digestOf(join(root, input)) === digest);
  } catch {
    return false;
  }
}
