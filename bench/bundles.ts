import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';

const run = promisify(execFile);
export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Every Lambda entry the CDK app deploys, read from lib/cloud (`entry: 'functions/<name>/lambda.ts'`). */
export function lambdaFunctions(): string[] {
  const dir = join(PROJECT_ROOT, 'lib/cloud');
  const names = readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [
        ...readFileSync(join(dir, file), 'utf8').matchAll(/entry: 'functions\/([a-z0-9-]+)\/lambda\.ts'/g),
      ].map((match) => match[1] as string),
    );
  return [...new Set(names)].sort();
}
const BASELINE = '(empty handler)';
/**
 * A bundle that imports the given SDK modules and nothing else: how much of a cold import is the
 * SDK, which the handler cannot avoid, rather than aios code.
 */
const sdkOnlySource = (modules: readonly string[]) =>
  `${modules.map((m, i) => `import * as m${i} from '${m}';`).join('\n')}
export const modules = [${modules.map((_, i) => `m${i}`).join(', ')}];
export const handler = async () => ({});
`;

/**
 * The esbuild options NodejsFunction derives from the `bundling` props in
 * lib/cloud/aios-function.ts (ESM, node22, minify, source map, `@aws-sdk/*` external, the
 * createRequire banner). `cdkDrift` checks that file still says so.
 */
export const CDK_BUNDLING: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  external: ['@aws-sdk/*'],
  minify: true,
  sourcemap: false,
  metafile: true,
  tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
  logLevel: 'warning',
};

/**
 * Every variable the stack gives any aios function, with dummy values, plus what the Lambda runtime
 * sets; test/infra/bench-env.test.ts fails when a function gains one that is not here.
 */
export const HANDLER_ENV: Record<string, string> = {
  POWERTOOLS_SERVICE_NAME: 'bench',
  POWERTOOLS_METRICS_NAMESPACE: 'aios',
  AIOS_RUNTIME: 'aws',
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
  AIOS_API_URL: 'https://bench.execute-api.us-east-1.amazonaws.com/v1',
  HOOK_SECRET_PREFIX: 'aios/hooks/',
  HTTP_CREDENTIALS_PREFIX: 'aios/http/',
  RUN_LINK_BASE_URL: 'https://bench.execute-api.us-east-1.amazonaws.com/v1',
  SCHEDULE_GROUP: 'bench-schedules',
  SCHEDULE_TARGET_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:bench-schedule-start',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/bench-scheduler',
  SCHEDULE_DLQ_ARN: 'arn:aws:sqs:us-east-1:000000000000:bench-schedule-dlq',
  USER_POOL_ID: 'us-east-1_bench0000',
  USER_POOL_CLIENT_ID: 'bench0client0id0000000000',
  SIGN_IN_URL: 'https://bench.auth.us-east-1.amazoncognito.com',
  CONSOLE_CALLBACK_URL: 'https://bench.execute-api.us-east-1.amazonaws.com/v1/console/callback',
  CONSOLE_LOGOUT_URL: 'https://bench.execute-api.us-east-1.amazonaws.com/v1/console/signed-out',
  AIOS_CONSOLE_LINK_PREFIX: '/v1',
  POWERTOOLS_METRICS_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/**
 * Runs in a fresh node: times one dynamic import of the bundle and prints the milliseconds, on the
 * wall clock and in CPU time of the process (all its threads). On a shared machine the wall clock
 * also counts the waits for a core; CPU time is what the import itself costs.
 */
const PROBE = `const cpu = process.cpuUsage();
const start = performance.now();
await import(process.argv[2]);
const wallMs = performance.now() - start;
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000 }));
process.exit(0);
`;

export interface BundleResult {
  name: string;
  bytes: number;
  /** The `@aws-sdk/*` modules it imports (left external, as on Lambda). */
  sdkModules: string[];
  /** The name of the SDK-only bundle with those modules, for a function; undefined for a baseline. */
  sdkBaseline?: string;
  /** Cold import time of each measured process, wall clock, ms. */
  importMs: number[];
  /** The same imports in CPU time of the process, ms. */
  importCpuMs: number[];
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
export async function benchBundles(
  processes: number,
  functions: readonly string[] = lambdaFunctions(),
): Promise<BundleReport> {
  const dir = mkdtempSync(join(tmpdir(), 'aios-bundles-'));
  try {
    // On Lambda the SDK comes from the runtime; here the externals resolve from our node_modules.
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const emptyEntry = join(dir, 'empty-handler.ts');
    writeFileSync(emptyEntry, 'export const handler = async () => ({});\n');
    const bundleOne = async (name: string, entry: string, out: string) => {
      const outfile = join(dir, out, 'index.mjs');
      mkdirSync(join(outfile, '..'), { recursive: true });
      const { metafile } = await build({ ...CDK_BUNDLING, entryPoints: [entry], outfile });
      const imports = Object.values(metafile?.outputs ?? {}).flatMap((output) => output.imports);
      const sdkModules = [
        ...new Set(imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/')).map((i) => i.path)),
      ].sort();
      return { name, url: pathToFileURL(outfile).href, bytes: statSync(outfile).size, sdkModules };
    };
    const handlers = await Promise.all(
      functions.map((name) => bundleOne(name, join(PROJECT_ROOT, 'functions', name, 'lambda.ts'), name)),
    );
    // One SDK-only bundle per distinct set of SDK modules the handlers import.
    const sdkSets = [...new Set(handlers.map((h) => h.sdkModules.join(' ')))];
    const sdkName = (set: string) =>
      `(SDK only: ${set.split(' ').length} modules #${sdkSets.indexOf(set) + 1})`;
    const baselines = await Promise.all([
      bundleOne(BASELINE, emptyEntry, 'empty'),
      ...sdkSets.map((set, i) => {
        const entry = join(dir, `sdk-only-${i}.ts`);
        writeFileSync(entry, sdkOnlySource(set.split(' ')));
        return bundleOne(sdkName(set), entry, `sdk-only-${i}`);
      }),
    ]);
    const bundles = [
      ...baselines,
      ...handlers.map((h) => ({ ...h, sdkBaseline: sdkName(h.sdkModules.join(' ')) })),
    ];

    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, PROBE);
    const env = { PATH: process.env.PATH ?? '', ...HANDLER_ENV };
    const importOnce = async (url: string) => {
      const { stdout } = await run(process.execPath, [probe, url], { env, timeout: 60_000 });
      const times = JSON.parse(stdout) as { wallMs: number; cpuMs: number };
      if (!Number.isFinite(times.wallMs) || !Number.isFinite(times.cpuMs))
        throw new Error(`import of ${url} printed ${JSON.stringify(stdout)}`);
      return times;
    };
    const importMs = new Map(bundles.map((b) => [b.name, [] as number[]]));
    const importCpuMs = new Map(bundles.map((b) => [b.name, [] as number[]]));
    for (let round = 0; round <= processes; round += 1) {
      for (const bundle of bundles) {
        const times = await importOnce(bundle.url);
        if (round === 0) continue;
        importMs.get(bundle.name)?.push(times.wallMs);
        importCpuMs.get(bundle.name)?.push(times.cpuMs);
      }
    }
    return {
      results: bundles.map((b) => ({
        ...b,
        importMs: importMs.get(b.name) ?? [],
        importCpuMs: importCpuMs.get(b.name) ?? [],
      })),
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
    'sourceMap: false',
    `banner: ${JSON.stringify(CDK_BUNDLING.banner?.js)}`,
  ];
  return expected.filter((fragment) => !source.includes(fragment));
}
