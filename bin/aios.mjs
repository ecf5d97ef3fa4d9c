#!/usr/bin/env node
// The npm bin entry. It runs the compiled CLI (bin/dist, built by `npm ci`, `npm install` or
// `npm run build:cli`) when it was built from the sources as they are now, and otherwise the
// TypeScript sources through tsx: the same program either way, the compiled one starts faster.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Locally there is no CloudWatch or X-Ray: no metric blobs or trace segments on stdout.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

const compiled = await import('./dist/fresh.mjs').then(
  (build) => build.isBuildFresh(),
  () => false,
);
if (compiled) {
  await import('./dist/aios.mjs');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  // lib/cli/typescript.ts reads this mark, so `aios dev` does not register tsx a second time.
  globalThis[Symbol.for('aios.tsx-registered')] = true;
  await import('./aios.ts');
}
