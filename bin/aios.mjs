#!/usr/bin/env node
// The npm bin entry: registers the TypeScript loader, then runs the CLI written in TypeScript.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Locally there is no CloudWatch or X-Ray: no metric blobs or trace segments on stdout.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
const { register } = await import('tsx/esm/api');
register();
await import('./aios.ts');
