import { rmSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { BUILD_DIR, manifestOf, manifestPath } from './fresh.ts';
import { PROJECT_ROOT } from './paths.ts';

// Compiles the CLI to JavaScript, so a call does not pay for tsx and for transpiling on the fly.
// `npm run build:cli` runs it, and `npm ci` / `npm install` too (the `prepare` script). What a
// command runs is split into chunks of its own (lib/cli/*), so a call loads only its command.

/** The compiled program and the small check bin/aios.mjs runs first (lib/cli/fresh.ts). */
const ENTRY_POINTS = { aios: 'bin/aios.ts', fresh: 'lib/cli/fresh.ts' };
/** Read at run time, so they are inputs too: what changes them makes the build stale. */
const EXTRA_INPUTS = ['lib/cli/build.ts', 'tsconfig.json'];

const posix = (path: string) => path.split(sep).join('/');
const specifier = (from: string, to: string) => {
  const path = posix(relative(from, to));
  return path.startsWith('.') ? path : `./${path}`;
};

/**
 * A bundled module keeps the `import.meta.url` of its source file, so paths found from it (the
 * project root, .aios/) are the same compiled or not, wherever the output is.
 */
function sourceLocations(root: string, outdir: string): Plugin {
  return {
    name: 'aios-source-locations',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (!args.path.startsWith(root) || args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const source = await readFile(args.path, 'utf8');
        const url = `new URL(${JSON.stringify(specifier(outdir, args.path))}, import.meta.url).href`;
        return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

/** `aios dev` runs the local runtime from its sources (through tsx): it is imported, not bundled. */
function runtimeFromSource(root: string, outdir: string): Plugin {
  const runtime = join(root, 'lib', 'local') + sep;
  return {
    name: 'aios-runtime-from-source',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        const target = resolve(args.resolveDir, args.path);
        return target.startsWith(runtime) ? { path: specifier(outdir, target), external: true } : undefined;
      });
    },
  };
}

export interface CliBuild {
  outdir: string;
  /** Every input, by its path from the project root. */
  inputs: string[];
}

/**
 * Builds the CLI into `outdir`, replacing what was there: into a sibling folder first, so a call
 * that starts meanwhile finds the old build, the new one or none (and then runs the sources).
 */
export async function buildCli(options: { root?: string; outdir?: string } = {}): Promise<CliBuild> {
  const root = resolve(options.root ?? PROJECT_ROOT);
  const outdir = resolve(options.outdir ?? BUILD_DIR);
  const staging = `${outdir}.${process.pid}.tmp`;
  const { build } = await import('esbuild');
  await rm(staging, { recursive: true, force: true });
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: ENTRY_POINTS,
      outdir: staging,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Dependencies load from node_modules as they would from the sources; tsx must not be bundled.
      packages: 'external',
      outExtension: { '.js': '.mjs' },
      // Flat: every output file is in outdir, which the paths written by the plugins are relative to.
      chunkNames: '[name]-[hash]',
      metafile: true,
      logLevel: 'warning',
      plugins: [sourceLocations(root, outdir), runtimeFromSource(root, outdir)],
    });
    const inputs = [...new Set([...Object.keys(result.metafile.inputs).map(posix), ...EXTRA_INPUTS])].sort();
    await writeFile(manifestPath(staging), `${JSON.stringify(manifestOf(root, inputs), null, 2)}\n`);
    await mkdir(dirname(outdir), { recursive: true });
    await rm(outdir, { recursive: true, force: true });
    await rename(staging, outdir);
    return { outdir, inputs };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function main(args: readonly string[]) {
  // `prepare` passes --optional: an install must not fail for want of a faster CLI.
  const optional = args.includes('--optional');
  const started = performance.now();
  try {
    const { outdir, inputs } = await buildCli();
    const took = Math.round(performance.now() - started);
    console.log(
      `aios: compiled the CLI (${inputs.length} inputs) into ${relative(process.cwd(), outdir) || '.'} in ${took} ms`,
    );
  } catch (error) {
    console.error(`aios: could not compile the CLI: ${(error as Error).message}`);
    if (!optional) process.exitCode = 1;
    else
      console.error('aios: the CLI runs from its TypeScript sources through tsx instead (slower to start).');
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main(process.argv.slice(2));
}
