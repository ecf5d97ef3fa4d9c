import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { RunCost } from '../../../functions/core/metrics/usage.ts';
import { workflowMetrics } from '../../../functions/core/metrics/workflow-metrics.ts';
import type { ApiClient } from '../../../lib/cli/api-client.ts';
import { costCommand, metricsCommand } from '../../../lib/cli/metrics.ts';
import { registerMetricsCommands } from '../../../lib/cli/metrics-commands.ts';
import { knownRuns } from '../core/metrics/known-runs.ts';

const REPORT = workflowMetrics(
  knownRuns(),
  { since: '2026-11-01T00:00:00.000Z', until: '2026-11-02T00:00:00.000Z' },
  (w) => (w === 'onboarding' ? 45 : undefined),
);
const COST: RunCost & { pricesAsOf: string } = {
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
  awsUsd: 0.0001894418,
  totalUsd: 0.0301894418,
  pricesAsOf: '2026-12-01',
};

function fakeApi() {
  const paths: string[] = [];
  const api = {
    request: async (method: string, path: string) => {
      paths.push(`${method} ${path}`);
      return path.startsWith('/metrics') ? REPORT : COST;
    },
  } as unknown as ApiClient;
  return { api, paths };
}

function capture() {
  const lines: string[] = [];
  return {
    lines,
    output: { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line) },
  };
}

describe('aios metrics', () => {
  it('asks GET /metrics for the window and workflow and prints every figure', async () => {
    const { api, paths } = fakeApi();
    const { lines, output } = capture();
    expect(await metricsCommand(api, output, { since: '7d', workflow: 'onboarding', json: false })).toBe(0);
    expect(paths).toEqual(['GET /metrics?since=7d&workflow=onboarding']);
    const text = lines.join('\n');
    expect(text).toContain('onboarding v1');
    expect(text).toContain('runs 4: 2 succeeded, 2 failed (BudgetExceededError 1, ApprovalRejectedError 1)');
    expect(text).toContain('overrides: 1 rejected, 1 edited, 0 handed off, 0 cancelled');
    expect(text).toContain('duration p50 120.0 s, p90 1800.0 s; waiting for you 1620.0 s');
    expect(text).toContain('time saved 88.0 min (45 min × 2 − 2.0 min deciding, 1 decision measured)');
    expect(text).toContain('per run $0.0176');
    expect(text).toContain('the playbook declares no minutesSavedPerRun');
  });

  it('prints the report as JSON with --json', async () => {
    const { api } = fakeApi();
    const { lines, output } = capture();
    await metricsCommand(api, output, { since: '30d', json: true });
    expect(JSON.parse(lines.join('\n'))).toEqual(JSON.parse(JSON.stringify(REPORT)));
  });

  it('refuses a --since it cannot read as a usage error, before calling the API', async () => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    let called = false;
    registerMetricsCommands(program, {
      output: capture().output,
      exitWith: async () => {
        called = true;
      },
      client: async () => fakeApi().api,
    });
    await expect(program.parseAsync(['node', 'aios', 'metrics', '--since', 'last week'])).rejects.toThrow(
      CommanderError,
    );
    expect(called).toBe(false);
    await program.parseAsync(['node', 'aios', 'metrics', '--since', '12h']);
    expect(called).toBe(true);
  });
});

describe('aios cost', () => {
  it('asks GET /runs/{id}/cost and breaks the cost down', async () => {
    const { api, paths } = fakeApi();
    const { lines, output } = capture();
    expect(await costCommand(api, output, 'r4', { json: false })).toBe(0);
    expect(paths).toEqual(['GET /runs/r4/cost']);
    expect(lines.join('\n')).toBe(
      [
        'Run r4: $0.0302',
        '  model   $0.0300 over 1 call (from the journal)',
        '  AWS est. $0.000189: 6 state transitions, 5 Lambda invocations (2.000 GB-s), 6 SQS requests, 15 DynamoDB write units',
        '  prices as of 2026-12-01',
      ].join('\n'),
    );
  });
});
