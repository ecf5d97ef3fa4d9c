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
 * Runs in a fresh node, once per measured process: imports a one-line module first (untimed: the
 * loader's own first-import cost belongs to neither side), then the SDK-only bundle (timed), then
 * the handler's bundle (timed). The handler's `@aws-sdk/*` imports resolve to the modules the first
 * import already loaded, so its time is what the bundle adds to them: aios code, its libraries, and
 * whatever the handler does with the SDK at module level (building clients, for one). Each is timed
 * on the wall clock and in CPU time of the process (all its threads); on a shared machine the wall
 * clock also counts waits for a core, CPU time is what the import itself costs.
 */
const PAIRED_PROBE = `const [warm, sdk, bundle] = process.argv.slice(2);
await import(warm);
const timed = async (url) => {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await import(url);
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
};
const sdkTimes = await timed(sdk);
const restTimes = bundle ? await timed(bundle) : undefined;
process.stdout.write(JSON.stringify({ sdk: sdkTimes, rest: restTimes }));
process.exit(0);
`;

export interface ImportTimes {
  wallMs: number;
  cpuMs: number;
}

/** One fresh process: its SDK-only bundle, then the handler's bundle on top of it. */
export interface PairedImport {
  sdk: ImportTimes;
  rest: ImportTimes;
}

export interface BundleResult {
  name: string;
  bytes: number;
  /** The `@aws-sdk/*` modules it imports (left external, as on Lambda). */
  sdkModules: string[];
  /** One entry per measured process, in the order they ran. */
  imports: PairedImport[];
  /** Cold imports of the handler's bundle alone, each in its own process (only when asked for). */
  alone: ImportTimes[];
}

export interface BundleReport {
  results: BundleResult[];
  /** Cold imports of a bundle holding only an empty handler, each in its own process. */
  empty: ImportTimes[];
  /** Lines of lib/cloud/aios-function.ts that no longer say what CDK_BUNDLING assumes. */
  drift: string[];
}

export interface BundleBenchOptions {
  /** Measured processes per handler (after one discarded process that loads every SDK module). */
  processes: number;
  /** Also import each handler's bundle alone in as many processes, to check the paired sum. */
  alone?: boolean;
  functions?: readonly string[];
  /** The checkout whose functions are bundled (another one, to compare two trees in the same minutes). */
  root?: string;
}

/**
 * Bundles every Lambda entry as the CDK does and times, in `processes` fresh node processes per
 * handler, the import of a bundle of only the SDK modules it imports followed by the import of the
 * handler's own bundle (see PAIRED_PROBE). The handlers take turns, forwards in one round and
 * backwards in the next, so that a busy minute on the shared machine spreads over all of them.
 */
export async function benchBundles(options: BundleBenchOptions): Promise<BundleReport> {
  const { processes, alone = false, functions = lambdaFunctions(), root = PROJECT_ROOT } = options;
  const dir = mkdtempSync(join(tmpdir(), 'aios-bundles-'));
  try {
    // On Lambda the SDK comes from the runtime; here the externals resolve from our node_modules.
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const emptyEntry = join(dir, 'empty-handler.ts');
    writeFileSync(emptyEntry, 'export const handler = async () => ({});\n');
    const bundleOne = async (entry: string, out: string) => {
      const outfile = join(dir, out, 'index.mjs');
      mkdirSync(join(outfile, '..'), { recursive: true });
      const { metafile } = await build({
        ...CDK_BUNDLING,
        tsconfig: join(root, 'tsconfig.json'),
        entryPoints: [entry],
        outfile,
      });
      const imports = Object.values(metafile?.outputs ?? {}).flatMap((output) => output.imports);
      const sdkModules = [
        ...new Set(imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/')).map((i) => i.path)),
      ].sort();
      return { url: pathToFileURL(outfile).href, bytes: statSync(outfile).size, sdkModules };
    };
    const handlers = await Promise.all(
      functions.map(async (name) => ({
        name,
        ...(await bundleOne(join(root, 'functions', name, 'lambda.ts'), name)),
      })),
    );
    const empty = await bundleOne(emptyEntry, 'empty');
    const warm = join(dir, 'warm.mjs');
    writeFileSync(warm, 'export {};\n');
    // One SDK-only bundle per handler, so that each handler's pair is two files of its own.
    const sdkOnly = await Promise.all(
      handlers.map((h) => {
        const entry = join(dir, `sdk-only-${h.name}.ts`);
        writeFileSync(entry, sdkOnlySource(h.sdkModules));
        return bundleOne(entry, `sdk-only-${h.name}`);
      }),
    );

    const allSdk = [...new Set(handlers.flatMap((h) => h.sdkModules))].sort();
    const warmEntry = join(dir, 'sdk-only-all.ts');
    writeFileSync(warmEntry, sdkOnlySource(allSdk));
    const warmSdk = await bundleOne(warmEntry, 'sdk-only-all');
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, PAIRED_PROBE);
    const env = { PATH: process.env.PATH ?? '', ...HANDLER_ENV };
    const probeOnce = async (first: string, second?: string) => {
      const args = [probe, pathToFileURL(warm).href, first, ...(second ? [second] : [])];
      const { stdout } = await run(process.execPath, args, { env, timeout: 60_000 });
      const times = JSON.parse(stdout) as { sdk: ImportTimes; rest?: ImportTimes };
      const all = [times.sdk, ...(second ? [times.rest] : [])];
      if (!all.every((t) => t && Number.isFinite(t.wallMs) && Number.isFinite(t.cpuMs)))
        throw new Error(`import of ${second ?? first} printed ${JSON.stringify(stdout)}`);
      return times;
    };
    const imports = handlers.map(() => [] as PairedImport[]);
    const aloneTimes = handlers.map(() => [] as ImportTimes[]);
    const emptyTimes: ImportTimes[] = [];
    const order = handlers.map((_, i) => i);
    // One discarded import of every SDK module any handler uses reads their files into the cache;
    // the bundles are there already, esbuild has just written them.
    await probeOnce(warmSdk.url);
    for (let round = 0; round < processes; round += 1) {
      const turn = round % 2 === 0 ? order : [...order].reverse();
      emptyTimes.push((await probeOnce(empty.url)).sdk);
      for (const i of turn) {
        const h = handlers[i] as (typeof handlers)[number];
        const pair = await probeOnce((sdkOnly[i] as { url: string }).url, h.url);
        if (pair.rest) imports[i]?.push({ sdk: pair.sdk, rest: pair.rest });
        if (alone) aloneTimes[i]?.push((await probeOnce(h.url)).sdk);
      }
    }
    return {
      results: handlers.map((h, i) => ({
        name: h.name,
        bytes: h.bytes,
        sdkModules: h.sdkModules,
        imports: imports[i] ?? [],
        alone: aloneTimes[i] ?? [],
      })),
      empty: emptyTimes,
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
