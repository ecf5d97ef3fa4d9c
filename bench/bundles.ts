import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';

const run = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

export const FUNCTIONS = [
  'api',
  'planner',
  'executor',
  'monitor',
  'run-recorder',
  'gateway',
  'approvals',
  'approval-links',
  'slack-interactions',
  'memory-indexer',
  'memory-maintenance',
] as const;
const BASELINE = '(empty handler)';
const SDK_ONLY = '(AWS SDK clients only)';
/** Every SDK client the handlers use, imported and nothing else: how much of a cold import is the SDK. */
const SDK_ONLY_SOURCE = `import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export const clients = [BedrockRuntimeClient, DynamoDBClient, SFNClient, SQSClient, DynamoDBDocumentClient];
export const handler = async () => ({});
`;

/**
 * The esbuild options NodejsFunction derives from the `bundling` props in
 * lib/cloud/aios-function.ts (ESM, node22, minify, source map, `@aws-sdk/*` external, the
 * createRequire banner). `cdkDrift` checks that file still says so.
 */
const CDK_BUNDLING: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  external: ['@aws-sdk/*'],
  minify: true,
  sourcemap: true,
  tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
  logLevel: 'warning',
};

/** What each handler's `requireEnv` asks for, with dummy values, plus what a Lambda would have. */
const HANDLER_ENV: Record<string, string> = {
  STATE_TABLE: 'bench-state',
  IDEMPOTENCY_TABLE: 'bench-idempotency',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:bench',
  MODEL_FAST_ID: 'bench.fast-model',
  MODEL_SLOW_ID: 'bench.slow-model',
  AWS_REGION: 'us-east-1',
  MEMORY_TABLE: 'bench-memory',
  MEMORY_ENDPOINT: 'search-bench.us-east-1.es.amazonaws.com',
  EMBEDDING_MODEL_ID: 'amazon.titan-embed-text-v2:0',
  EMBEDDING_DIMENSIONS: '1024',
  ACTION_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-dlq',
  ACTION_DLQ_ARN: 'arn:aws:sqs:us-east-1:000000000000:bench-dlq',
  GRANT_KEY_SECRET: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-grant',
  LINK_KEY_SECRET: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-link',
  SLACK_BOT_TOKEN_SECRET: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-slack',
  SLACK_SIGNING_SECRET: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-slack-signing',
  PUBLIC_BASE_URL: 'https://bench.execute-api.us-east-1.amazonaws.com/v1',
  POWERTOOLS_METRICS_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** Runs in a fresh node: times one dynamic import of the bundle and prints the milliseconds. */
const PROBE = `const start = performance.now();
await import(process.argv[2]);
process.stdout.write(String(performance.now() - start));
process.exit(0);
`;

export interface BundleResult {
  name: string;
  bytes: number;
  /** Cold import time of each measured process, ms. */
  importMs: number[];
}

export interface BundleReport {
  results: BundleResult[];
  baseline: string;
  /** Lines of lib/cloud/aios-function.ts that no longer say what CDK_BUNDLING assumes. */
  drift: string[];
}

/**
 * Bundles every Lambda entry as the CDK does and times a cold `import()` of each in `processes`
 * fresh node processes (after one warm-up round that fills the file cache), round-robin so that
 * noise spreads over all bundles alike.
 */
export async function benchBundles(processes: number): Promise<BundleReport> {
  const dir = mkdtempSync(join(tmpdir(), 'aios-bundles-'));
  try {
    // On Lambda the SDK comes from the runtime; here the externals resolve from our node_modules.
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const emptyEntry = join(dir, 'empty-handler.ts');
    writeFileSync(emptyEntry, 'export const handler = async () => ({});\n');
    const sdkEntry = join(dir, 'sdk-only-handler.ts');
    writeFileSync(sdkEntry, SDK_ONLY_SOURCE);
    const entries: [string, string][] = [
      [BASELINE, emptyEntry],
      [SDK_ONLY, sdkEntry],
      ...FUNCTIONS.map((name): [string, string] => [
        name,
        join(PROJECT_ROOT, 'functions', name, 'lambda.ts'),
      ]),
    ];
    const bundles = await Promise.all(
      entries.map(async ([name, entry]) => {
        const outfile = join(
          dir,
          FUNCTIONS.find((f) => f === name) ?? (name === BASELINE ? 'empty' : 'sdk-only'),
          'index.mjs',
        );
        mkdirSync(join(outfile, '..'), { recursive: true });
        await build({ ...CDK_BUNDLING, entryPoints: [entry], outfile });
        return { name, url: pathToFileURL(outfile).href, bytes: statSync(outfile).size };
      }),
    );

    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, PROBE);
    const env = { PATH: process.env.PATH ?? '', ...HANDLER_ENV };
    const importOnce = async (url: string) => {
      const { stdout } = await run(process.execPath, [probe, url], { env, timeout: 60_000 });
      const ms = Number(stdout);
      if (!Number.isFinite(ms)) throw new Error(`import of ${url} printed ${JSON.stringify(stdout)}`);
      return ms;
    };
    const importMs = new Map(bundles.map((b) => [b.name, [] as number[]]));
    for (let round = 0; round <= processes; round += 1) {
      for (const bundle of bundles) {
        const ms = await importOnce(bundle.url);
        if (round > 0) importMs.get(bundle.name)?.push(ms);
      }
    }
    return {
      results: bundles.map((b) => ({ name: b.name, bytes: b.bytes, importMs: importMs.get(b.name) ?? [] })),
      baseline: BASELINE,
      drift: cdkDrift(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The fragments of the CDK construct that CDK_BUNDLING mirrors; any one missing means they drifted apart. */
function cdkDrift(): string[] {
  const source = readFileSync(join(PROJECT_ROOT, 'lib/cloud/aios-function.ts'), 'utf8');
  const expected = [
    'format: OutputFormat.ESM',
    "target: 'node22'",
    "mainFields: ['module', 'main']",
    "externalModules: ['@aws-sdk/*']",
    'minify: true',
    'sourceMap: true',
    `banner: ${JSON.stringify(CDK_BUNDLING.banner?.js)}`,
  ];
  return expected.filter((fragment) => !source.includes(fragment));
}
