import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import packageJson from '../../../package.json' with { type: 'json' };
import { runAios } from '../../support/aios-dev.ts';

// Usage errors are found before the CLI talks to anyone: nothing listens at this address.
const dataDir = mkdtempSync(join(tmpdir(), 'aios-usage-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const aios = (args: string[]) =>
  runAios(args, {
    AIOS_DATA_DIR: dataDir,
    AIOS_API_URL: 'http://127.0.0.1:9',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });

describe('CLI usage errors exit 2, as the README says', () => {
  it.each([
    ['an unknown command', ['frobnicate'], /aios: unknown command 'frobnicate'/],
    [
      'a bad --mode',
      ['run', 'onboarding', '--mode', 'fast'],
      /argument 'fast' is invalid\. Allowed choices are live, shadow/,
    ],
    [
      'a bad --status',
      ['runs', '--status', 'DONE'],
      /argument 'DONE' is invalid\. Allowed choices are QUEUED/,
    ],
    [
      '--limit abc',
      ['runs', '--limit', 'abc'],
      /argument 'abc' is invalid\. must be a positive whole number/,
    ],
    ['reject without --note', ['reject', 'apr-1'], /required option '--note <text>' not specified/],
    [
      'memory search without --namespace',
      ['memory', 'search', 'payment terms'],
      /required option '--namespace <namespaces>' not specified/,
    ],
    [
      'memory search -k abc',
      ['memory', 'search', 'q', '--namespace', 'operator', '-k', 'abc'],
      /argument 'abc' is invalid/,
    ],
    ['an unknown option', ['runs', '--colour'], /unknown option '--colour'/],
    ['a missing argument', ['show'], /missing required argument 'runId'/],
    ['an extra argument', ['show', 'a', 'b'], /too many arguments for 'show'/],
    ['a port out of range', ['dev', '--port', '70000'], /must be a port number from 1 to 65535/],
    ['no command at all', [], /Usage: aios/],
    ['a command group without its command', ['dlq'], /Usage: aios dlq/],
    [
      'handoff complete without --text or --file',
      ['handoff', 'complete', 'run-1-h0'],
      /give the output either with --text or with --file/,
    ],
    [
      'handoff complete with both --text and --file',
      ['handoff', 'complete', 'run-1-h0', '--text', 'a', '--file', 'b.txt'],
      /not both/,
    ],
    ['handoff without its command', ['handoff'], /Usage: aios handoff/],
  ])('%s', async (_what, args, message) => {
    const { code, stderr } = await aios(args);
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('--help and --version exit 0 and print to stdout', async () => {
    const help = await aios(['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: aios \[options\] \[command\]/);
    expect((await aios(['run', '--help'])).code).toBe(0);
    expect(await aios(['--version'])).toMatchObject({ code: 0, stdout: `${packageJson.version}\n` });
  });
});
