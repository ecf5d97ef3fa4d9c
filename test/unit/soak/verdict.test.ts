import { describe, expect, it } from 'vitest';
import type { RunDetails } from '../../../functions/core/runs-service.ts';
import type { Intent } from '../../../functions/core/schemas.ts';
import { DEFAULT_FAULTS, parseSoakOptions, UsageError } from '../../soak/options.ts';
import type { Delivery } from '../../soak/provider.ts';
import {
  CRASH_MARGIN_MS,
  effectProblems,
  hintFor,
  type RunRecord,
  webhookRepeats,
} from '../../soak/verdict.ts';
import { runFixture } from '../../support/fixtures.ts';

const delivery = (key: string | undefined, at: number): Delivery => ({
  path: '/crm',
  body: '{}',
  at,
  ...(key ? { idempotencyKey: key } : {}),
});

function intent(stepIndex: number, type: string, key: string, overrides: Partial<Intent> = {}): Intent {
  return {
    runId: 'r1',
    stepIndex,
    stepId: `step-${stepIndex}`,
    title: `Step ${stepIndex}`,
    action: { type, params: { entityType: 'customer', entityId: 'acme' } },
    idempotencyKey: key,
    status: 'SUCCEEDED',
    attempts: 1,
    recordedAt: '2026-11-25T10:00:00.000Z',
    ...overrides,
  };
}

const details = (status: 'SUCCEEDED' | 'FAILED', intents: Intent[]): RunDetails => ({
  run: runFixture({ runId: 'r1', status }),
  intents,
  journal: [],
});

describe('soak verdict: webhook keys delivered more than once', () => {
  it('tells a repeat across a crash (deduped by the provider) from a double within one life', () => {
    const crashAt = 10_000;
    const repeats = webhookRepeats(
      [
        delivery('once', 1_000),
        delivery('across-crash', 9_000),
        delivery('across-crash', 14_000),
        // Read a moment after the exit was seen, though its sender was the process that died.
        delivery('read-late', crashAt + CRASH_MARGIN_MS - 100),
        delivery('read-late', 15_000),
        delivery('same-life', 2_000),
        delivery('same-life', 2_050),
        delivery('same-life-after-restart', 20_000),
        delivery('same-life-after-restart', 20_500),
        delivery(undefined, 3_000),
      ],
      [crashAt],
    );
    expect(repeats.resentAfterCrash.map((r) => r.key).sort()).toEqual(['across-crash', 'read-late']);
    expect(repeats.doubled).toEqual([
      { key: 'same-life', count: 2 },
      { key: 'same-life-after-restart', count: 2 },
    ]);
    expect(repeats.withoutKey).toBe(1);
  });

  it('calls three deliveries doubled when only one of the repeats had a crash before it', () => {
    const repeats = webhookRepeats(
      [delivery('k', 1_000), delivery('k', 5_000), delivery('k', 5_100)],
      [3_000],
    );
    expect(repeats.doubled).toEqual([{ key: 'k', count: 3 }]);
  });
});

describe('soak verdict: effects of each intent', () => {
  it('finds a doubled email, an entity written once too often and an effect that never arrived', () => {
    const run = details('SUCCEEDED', [
      intent(0, 'state.upsert', 'k0', { result: { ok: true, output: { version: 1 }, durationMs: 1 } }),
      intent(1, 'http.request', 'k1'),
      intent(2, 'email.send', 'k2'),
      intent(3, 'state.upsert', 'k3', { result: { ok: true, output: { version: 3 }, durationMs: 1 } }),
    ]);
    const problems = effectProblems(
      [run],
      [],
      [
        { key: 'k2', file: 'a.eml' },
        { key: 'k2', file: 'b.eml' },
      ],
    );
    expect(problems.emailsDoubled).toEqual([{ key: 'k2', count: 2 }]);
    expect(problems.stateDoubled).toEqual([
      { runId: 'r1', stepIndex: 3, entity: 'customer/acme', expected: 2, recorded: 3 },
    ]);
    expect(problems.missing).toEqual([{ runId: 'r1', stepIndex: 1, action: 'http.request', key: 'k1' }]);
  });

  it('finds nothing when every effect arrived once, and does not ask a failed run for its effects', () => {
    const good = details('SUCCEEDED', [
      intent(0, 'state.upsert', 'k0', { result: { ok: true, output: { version: 1 }, durationMs: 1 } }),
      intent(1, 'http.request', 'k1'),
      intent(2, 'state.upsert', 'k2', { result: { ok: true, output: { version: 2 }, durationMs: 1 } }),
    ]);
    const failed = details('FAILED', [intent(0, 'http.request', 'never-sent', { status: 'FAILED' })]);
    expect(effectProblems([good, failed], [delivery('k1', 1)], [])).toEqual({
      emailsDoubled: [],
      stateDoubled: [],
      missing: [],
    });
  });
});

describe('soak verdict: what a failed or stuck run looks like', () => {
  const base = { n: 1, workflow: 'onboarding', runId: 'r1' };
  const stuck = (more: Partial<RunRecord>) =>
    hintFor({ ...base, outcome: 'stuck', status: 'RUNNING', ...more });
  const failed = (error: string, cause: string) =>
    hintFor({ ...base, outcome: 'failed', status: 'FAILED', failure: { error, cause, account: cause } });

  it('names the known defects and marks anything else as new', () => {
    expect(stuck({ status: 'QUEUED' })).toMatch(/^defect 2/);
    expect(stuck({ waitingIn: 'Request approval', approvalStatus: 'APPROVED' })).toMatch(/^defect 1/);
    expect(
      stuck({ waitingIn: 'Request approval', approvalStatus: 'PENDING', approvalInInbox: false }),
    ).toMatch(/^new: the approval is PENDING but GET \/approvals does not list it/);
    expect(failed('ConflictError', 'approval r1-s4 is already APPROVED')).toMatch(/^defect 3/);
    expect(stuck({ waitingIn: 'Execute action', lastEvent: 'TaskSubmitted' })).toMatch(/^new\?/);
    expect(failed('States.Timeout', 'the step timed out')).toMatch(/^new\?/);
  });
});

describe('npm run soak options', () => {
  it('has sane defaults, a quick mode, and refuses bad values with the flag named', () => {
    expect(parseSoakOptions([])).toMatchObject({
      runs: 200,
      maxMinutes: 10,
      faults: DEFAULT_FAULTS,
      json: false,
    });
    expect(parseSoakOptions(['--quick'])).toMatchObject({ runs: 40, maxMinutes: 4 });
    expect(parseSoakOptions(['--quick', '--runs', '10', '--faults', 'none', '--json'])).toMatchObject({
      runs: 10,
      faults: '',
      json: true,
    });
    for (const [args, message] of [
      [['--runs', 'abc'], /--runs/],
      [['--runs', '0'], /--runs must be at least 1/],
      [['--max-minutes', '1', '--settle-seconds', '90'], /--settle-seconds/],
      [['--faults', 'after-lunch:1'], /--faults: AIOS_FAULTS/],
      [['--bogus'], /bogus/],
    ] as const) {
      expect(() => parseSoakOptions(args)).toThrow(UsageError);
      expect(() => parseSoakOptions(args)).toThrow(message);
    }
  });
});
