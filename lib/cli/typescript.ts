/**
 * Marks that tsx's loader is registered in this process. bin/aios.mjs sets it when it runs the CLI
 * from source; a second registration would put a second loader in every module load.
 */
const REGISTERED = Symbol.for('aios.tsx-registered');

/** Lets this process import TypeScript (the local runtime is not compiled): registers tsx once. */
export async function loadTypeScript(): Promise<void> {
  const flags = globalThis as { [REGISTERED]?: true };
  if (flags[REGISTERED]) return;
  const { register } = await import('tsx/esm/api');
  register();
  flags[REGISTERED] = true;
}
