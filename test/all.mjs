#!/usr/bin/env node
// `npm test`: the type-check and the lint run beside the test tiers instead of before them, so
// their CPU fills the time the tiers spend waiting (child runtimes, loopback I/O). Every part runs
// to its end, each prints its own output, and the exit code is non-zero if any of them failed.
// Arguments go to vitest (e.g. `npm test -- --project unit`).
import { spawn } from 'node:child_process';

const parts = [
  { name: 'typecheck', command: 'npm', args: ['run', '--silent', 'typecheck'] },
  { name: 'lint', command: 'npm', args: ['run', '--silent', 'lint'] },
  { name: 'vitest', command: 'npx', args: ['vitest', 'run', ...process.argv.slice(2)] },
];

/** Runs one part; a buffered part prints its output once it ends, so the tiers' report stays readable. */
function run({ name, command, args }, buffered) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    const output = [];
    if (buffered) {
      child.stdout.on('data', (chunk) => output.push(chunk));
      child.stderr.on('data', (chunk) => output.push(chunk));
    }
    child.once('error', (error) => resolve({ name, code: 1, output: [Buffer.from(`${error.message}\n`)] }));
    child.once('close', (code, signal) => resolve({ name, code: code ?? (signal ? 1 : 0), output }));
  });
}

const results = await Promise.all(parts.map((part) => run(part, part.name !== 'vitest')));
for (const result of results.filter((r) => r.output.length > 0)) {
  process.stdout.write(`\n> ${result.name}\n${Buffer.concat(result.output).toString()}`);
}
const failed = results.filter((result) => result.code !== 0).map((result) => result.name);
if (failed.length > 0) {
  process.stderr.write(`\nnpm test failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
