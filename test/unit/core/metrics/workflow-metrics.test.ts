import { describe, expect, it } from 'vitest';
import { runCost } from '../../../../functions/core/metrics/usage.ts';
import { percentile, workflowMetrics } from '../../../../functions/core/metrics/workflow-metrics.ts';
import { knownRuns, modelCall } from './known-runs.ts';

const WINDOW = { since: '2026-11-01T00:00:00.000Z', until: '2026-11-02T00:00:00.000Z' };
const SAVED: Record<string, number> = { onboarding: 45, 'invoice-follow-up': 10 };
const minutesSaved = (workflow: string) => SAVED[workflow];

// Worked by hand from known-runs.ts with the prices of 2026-12-01 (prices.ts):
// $0.025/1000 transitions, $0.0000002/Lambda request, $0.0000133334/GB-s at 0.5 GB,
// $0.0000004/SQS request (3 per gateway attempt), $0.000000625/write unit, 100 ms per unmeasured invocation.
// r1: 5 transitions; 3 tasks + 1 attempt = 4 invocations, 2 measured (2000 + 400 ms) + 2 × 100 ms = 2.6 s → 1.3 GB-s;
//     3 SQS; writes: run 3 + intent 2 + journal 1 + audit 1 = 7.
//     0.000125 + 0.0000008 + 0.00001733342 + 0.0000012 + 0.000004375 = 0.00014870842
// r2: 2 transitions; 1 invocation, measured 1000 ms → 0.5 GB-s; writes 3 + 1 = 4.
//     0.00005 + 0.0000002 + 0.0000066667 + 0.0000025 = 0.0000593667
// r3: 4 transitions; 2 invocations, 1 measured (1000 ms) + 100 ms → 0.55 GB-s;
//     writes 3 + 2 + 2 journal + 2 audit + approval (1 + 2 events) 3 = 12.
//     0.0001 + 0.0000004 + 0.00000733337 + 0.0000075 = 0.00011523337
// r4: 6 transitions; 3 tasks + 2 attempts = 5 invocations, 3 measured (3000 + 300 + 500) + 2 × 100 = 4 s → 2 GB-s;
//     6 SQS; writes 3 + 2 + 2 + 4 + approval (1 + 3) 4 = 15.
//     0.00015 + 0.000001 + 0.0000266668 + 0.0000024 + 0.000009375 = 0.0001894418
const AWS_USD = { r1: 0.00014870842, r2: 0.0000593667, r3: 0.00011523337, r4: 0.0001894418 };
const ONBOARDING_AWS = AWS_USD.r1 + AWS_USD.r2 + AWS_USD.r3 + AWS_USD.r4; // 0.00051275029
const ONBOARDING_TOTAL = 0.07 + ONBOARDING_AWS; // 0.07051275029

describe('workflow metrics from known runs', () => {
  const report = workflowMetrics(knownRuns(), WINDOW, minutesSaved);
  const onboarding = report.workflows.find((w) => w.workflow === 'onboarding');
  const followUp = report.workflows.find((w) => w.workflow === 'invoice-follow-up');

  it('counts runs and groups failures by the failure account’s error', () => {
    expect(onboarding).toMatchObject({ version: 1, runs: 4, succeeded: 2, failed: 2, inFlight: 0 });
    expect(onboarding?.failuresByCause).toEqual({ BudgetExceededError: 1, ApprovalRejectedError: 1 });
    expect(followUp).toMatchObject({ runs: 3, succeeded: 0, failed: 2, inFlight: 1 });
  });

  it('counts each kind of human override', () => {
    expect(onboarding?.overrides).toEqual({ rejected: 1, edited: 1, handedOff: 0, cancelled: 0 });
    expect(followUp?.overrides).toEqual({ rejected: 0, edited: 0, handedOff: 1, cancelled: 1 });
  });

  it('takes p50 and p90 of finished runs by nearest rank', () => {
    // Durations 60, 120, 600, 1800 s: rank ⌈0.5·4⌉ = 2 and ⌈0.9·4⌉ = 4.
    expect(onboarding?.durationMs).toEqual({ p50: 120_000, p90: 1_800_000 });
    // The running r7 has no duration: 30 s and 30 s.
    expect(followUp?.durationMs).toEqual({ p50: 30_000, p90: 30_000 });
  });

  it('measures the wait for the operator and the decision time where it was recorded', () => {
    // r3 waited 12:00:30 → 12:05:30 (300 s), r4 13:00:10 → 13:22:10 (1320 s).
    expect(onboarding?.waitingForOperatorMs).toBe(1_620_000);
    // Only r4's decision recorded its opening: 13:20:10 → 13:22:10.
    expect(onboarding?.decisionTime).toEqual({ measured: 1, totalMs: 120_000 });
  });

  it('saves the playbook’s minutes per succeeded run less the measured decision time', () => {
    // 45 min × 2 succeeded − 2 min deciding.
    expect(onboarding?.timeSavedMinutes).toBe(88);
    expect(followUp?.timeSavedMinutes).toBe(0);
    const noEstimate = workflowMetrics(knownRuns(), WINDOW, () => undefined);
    expect(noEstimate.workflows.every((w) => w.timeSavedMinutes === null)).toBe(true);
  });

  it('prices each task: the model spend from the journal plus the estimated AWS usage', () => {
    expect(onboarding?.cost.modelUsd).toBeCloseTo(0.07, 12);
    expect(onboarding?.cost.awsUsd).toBeCloseTo(0.00051275029, 10);
    expect(onboarding?.cost.totalUsd).toBeCloseTo(0.07051275029, 10);
    expect(onboarding?.cost.perRunUsd).toBeCloseTo(ONBOARDING_TOTAL / 4, 10); // 0.0176281875725
    expect(onboarding?.cost.perSucceededUsd).toBeCloseTo(0.035256375145, 10);
    // Three runs with no records: 3 writes each (queued, started, finished) at $0.000000625.
    expect(followUp?.cost.totalUsd).toBeCloseTo(9 * 0.000000625, 12);
    expect(followUp?.cost.perSucceededUsd).toBeNull();
    expect(report.pricesAsOf).toBe('2026-12-01');
  });

  it('breaks one run’s cost into the usage it recorded', () => {
    const r4 = knownRuns()[3];
    if (!r4) throw new Error('fixture');
    expect(runCost(r4)).toEqual({
      runId: 'r4',
      modelUsd: 0.03,
      modelCalls: 1,
      usage: {
        stateTransitions: 6,
        lambdaInvocations: 5,
        lambdaGbSeconds: 2,
        sqsRequests: 6,
        dynamoDbWriteUnits: 15,
      },
      awsUsd: expect.closeTo(AWS_USD.r4, 12),
      totalUsd: expect.closeTo(0.03 + AWS_USD.r4, 12),
    });
  });

  it('counts a journal line over 1 KiB as several write units', () => {
    const [r2] = knownRuns().slice(1, 2);
    if (!r2) throw new Error('fixture');
    const big = { ...modelCall('r2', 0.02, 1000), message: 'x'.repeat(2500) };
    // 3 run writes + a line of ~2.8 KiB = 3 units.
    expect(runCost({ ...r2, journal: [big] }).usage.dynamoDbWriteUnits).toBe(6);
  });
});

describe('percentile', () => {
  it('is null without values and the nearest rank otherwise', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
  });
});
