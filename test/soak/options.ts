import { parseArgs } from 'node:util';
import * as z from 'zod';
import { parseFaultSpec } from '../../lib/local/faults.ts';

/** Probability per occurrence; about 0.3 kills per onboarding run, so restarts leave time for work. */
export const DEFAULT_FAULTS =
  'after-run-record:0.03,after-decision:0.1,after-effect:0.015,before-task-answer:0.015';

export const USAGE = `npm run soak -- [options]

Starts \`aios dev\` in a child process, runs the shipped playbooks against it several at a time,
approves as fast as it can, SIGKILLs the runtime at random moments and at the known crash windows
(AIOS_FAULTS), restarts it, and reports runs succeeded, failed, stuck and effects doubled.
Exits 0 only when nothing failed, got stuck, was lost or was doubled.

  --runs N              runs to start (default 200; --quick: 40)
  --max-minutes M       wall-time bound, start to report (default 10; --quick: 4)
  --concurrency C       runs in flight at once (default 16)
  --faults SPEC         AIOS_FAULTS for the runtime, window:probability,... or "none"
                        (default ${DEFAULT_FAULTS})
  --kill-every S        mean seconds between random SIGKILLs, 0 for none (default 15)
  --approve-after-ms N  leave each approval this long before clicking (default 0: at once;
                        quick clicks are a known cause of failures, a delay shows the others)
  --settle-seconds S    quiet time at the end: no faults, no kills (default 60; --quick: 45)
  --quick               about 40 runs in at most 4 minutes, a fast check
  --json                print the result as JSON on stdout (progress stays on stderr)
  --keep                keep the data dir even when everything passed (it is kept on failure)
  --help                this text`;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** What the soak does; the report repeats it. */
export interface SoakSettings {
  runs: number;
  maxMinutes: number;
  concurrency: number;
  /** What AIOS_FAULTS is set to; empty for none. */
  faults: string;
  killEverySeconds: number;
  approveAfterMs: number;
  settleSeconds: number;
}

export interface SoakOptions extends SoakSettings {
  json: boolean;
  keep: boolean;
  help: boolean;
}

const count = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `--${name} must be a number` })
    .int(`--${name} must be a whole number`)
    .min(min, `--${name} must be at least ${min}`)
    .max(max, `--${name} must be at most ${max}`);
const amount = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `--${name} must be a number` })
    .min(min, `--${name} must be at least ${min}`)
    .max(max, `--${name} must be at most ${max}`);

export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const quick = values.quick === true;
  const schema = z.object({
    runs: count('runs', 1, 100_000).default(quick ? 40 : 200),
    maxMinutes: amount('max-minutes', 0.5, 24 * 60).default(quick ? 4 : 10),
    concurrency: count('concurrency', 1, 100).default(16),
    killEverySeconds: amount('kill-every', 0, 3600).default(15),
    approveAfterMs: count('approve-after-ms', 0, 3_600_000).default(0),
    settleSeconds: amount('settle-seconds', 0, 3600).default(quick ? 45 : 60),
  });
  const parsed = schema.safeParse({
    runs: values.runs,
    maxMinutes: values['max-minutes'],
    concurrency: values.concurrency,
    killEverySeconds: values['kill-every'],
    approveAfterMs: values['approve-after-ms'],
    settleSeconds: values['settle-seconds'],
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]?.message ?? 'bad options');
  const faults = values.faults === undefined ? DEFAULT_FAULTS : values.faults === 'none' ? '' : values.faults;
  try {
    parseFaultSpec(faults);
  } catch (error) {
    throw new UsageError(`--faults: ${(error as Error).message}`);
  }
  if (parsed.data.settleSeconds >= parsed.data.maxMinutes * 60) {
    throw new UsageError('--settle-seconds must be shorter than --max-minutes');
  }
  return {
    ...parsed.data,
    faults,
    json: values.json === true,
    keep: values.keep === true,
    help: values.help === true,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      runs: { type: 'string' },
      'max-minutes': { type: 'string' },
      concurrency: { type: 'string' },
      faults: { type: 'string' },
      'kill-every': { type: 'string' },
      'approve-after-ms': { type: 'string' },
      'settle-seconds': { type: 'string' },
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
