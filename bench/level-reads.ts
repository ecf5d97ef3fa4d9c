import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderTable } from './table.ts';

/*
 * `npx tsx bench/level-reads.ts [operations]`: what one LevelDB read costs the embedded store, done
 * through libuv's thread pool (get, as dynalite calls it) and done at once (getSync, as
 * lib/local/dynalite-engine.ts readInline does), next to a write (always through the pool). The
 * database is dynalite's own (`level`, JSON values) with 100 items of about 300 bytes, read and
 * written one at a time. CPU is the whole process's (the pool's threads included).
 */

type Level = {
  open(): Promise<void>;
  close(): Promise<void>;
  get(key: string): Promise<unknown>;
  getSync(key: string): unknown;
  put(key: string, value: unknown): Promise<void>;
};
const require = createRequire(import.meta.url);
const { Level } = require('level') as { Level: new (path: string, options: object) => Level };

const operations = Number(process.argv[2] ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'aios-level-reads-'));
const db = new Level(dir, { valueEncoding: 'json' });
const value = (i: number) => ({ v: i, data: 'x'.repeat(300) });
try {
  await db.open();
  for (let i = 0; i < 100; i += 1) await db.put(`k${i}`, value(i));
  const cases: Array<[string, (i: number) => unknown]> = [
    ['get (thread pool)', (i) => db.get(`k${i % 100}`)],
    ['getSync (at once)', (i) => db.getSync(`k${i % 100}`)],
    ['put (thread pool)', (i) => db.put(`k${i % 100}`, value(i))],
  ];
  const rows: string[][] = [];
  // Twice in turn; the second round is reported (the first warms the code and LevelDB's cache).
  for (let round = 0; round < 2; round += 1)
    for (const [name, run] of cases) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      for (let i = 0; i < operations; i += 1) await run(i);
      const used = process.cpuUsage(cpu);
      const wall = performance.now() - started;
      if (round === 1)
        rows.push([
          name,
          ((used.user + used.system) / operations).toFixed(1),
          ((wall * 1000) / operations).toFixed(1),
        ]);
    }
  console.log(
    renderTable(
      [
        { header: 'operation', align: 'left' },
        { header: 'CPU µs each', align: 'right' },
        { header: 'wall µs each', align: 'right' },
      ],
      rows,
    ),
  );
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
