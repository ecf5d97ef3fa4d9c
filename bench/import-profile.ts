/**
 * `npx tsx bench/import-profile.ts <function> [processes]`: where the cold import of one bundled
 * handler goes, module by module. Bundles the handler as section (a) does but unminified, puts a
 * clock reading before the top-level code of each module esbuild laid out (it marks each with a
 * `// path` comment), and prints the median CPU time of the process between readings over fresh
 * processes that first load the handler's SDK modules, as section (a) does. A module's time is its
 * own top-level code and whatever that code calls (schemas built, clients constructed); the time
 * before the first module is the parse of the whole file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { CDK_BUNDLING, HANDLER_ENV, PROJECT_ROOT } from './bundles.ts';
import { median } from './stats.ts';

const run = promisify(execFile);
const [name = 'monitor', count = '15'] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'aios-import-profile-'));
try {
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const outfile = join(dir, 'index.mjs');
  const { metafile } = await build({
    ...CDK_BUNDLING,
    minify: false,
    entryPoints: [join(PROJECT_ROOT, 'functions', name, 'lambda.ts')],
    outfile,
  });
  const sdk = [
    ...new Set(
      Object.values(metafile?.outputs ?? {})
        .flatMap((o) => o.imports)
        .filter((i) => i.external && i.path.startsWith('@aws-sdk/'))
        .map((i) => i.path),
    ),
  ];
  const lines = readFileSync(outfile, 'utf8').split('\n');
  const marked = lines.map((line) =>
    /^\/\/ [\w@./-]+\.[cm]?[jt]s$/.test(line)
      ? `${line}\nglobalThis.__mark(${JSON.stringify(line.slice(3))});`
      : line,
  );
  writeFileSync(outfile, marked.join('\n'));
  writeFileSync(join(dir, 'sdk.mjs'), sdk.map((m) => `import '${m}';`).join('\n'));
  writeFileSync(
    join(dir, 'probe.mjs'),
    `const marks = [];
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
globalThis.__mark = (m) => marks.push([m, cpu()]);
await import('./sdk.mjs');
const start = cpu();
await import('./index.mjs');
const end = cpu();
const out = {}; let prev = ['(parse and link, before the first module)', start];
for (const mark of [...marks, ['(end)', end]]) { out[prev[0]] = (out[prev[0]] ?? 0) + mark[1] - prev[1]; prev = mark; }
process.stdout.write(JSON.stringify(out));
process.exit(0);
`,
  );
  const samples: Record<string, number[]> = {};
  const env = { PATH: process.env.PATH ?? '', ...HANDLER_ENV };
  for (let i = 0; i < Number(count); i += 1) {
    const { stdout } = await run(process.execPath, [join(dir, 'probe.mjs')], { env, cwd: dir });
    for (const [module, ms] of Object.entries(JSON.parse(stdout) as Record<string, number>)) {
      samples[module] ??= [];
      samples[module].push(ms);
    }
  }
  const rows = Object.entries(samples)
    .map(([module, values]) => [module, median(values)] as const)
    .sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  console.log(
    `${name}: the rest of the cold import, median of ${count} processes: ${total.toFixed(1)} ms CPU (unminified)`,
  );
  for (const [module, ms] of rows.slice(0, 15)) console.log(`${ms.toFixed(2).padStart(8)}  ${module}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
