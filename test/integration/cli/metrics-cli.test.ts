import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AiosDev, startAiosDev } from '../../support/aios-dev.ts';

let dev: AiosDev;
const aios = (args: string[]) => dev.aios(args);
let runId = '';

beforeAll(async () => {
  dev = await startAiosDev('aios-metrics-cli-');
  // The weekly follow-up needs no approval: one succeeded run with a model call and an effect.
  const { code, stdout, stderr } = await aios([
    'run',
    'invoice-follow-up',
    '--input',
    fileURLToPath(new URL('../../../playbooks/examples/overdue-invoice.json', import.meta.url)),
  ]);
  expect(code, stderr).toBe(0);
  runId = /Run (invoice-follow-up-\S+) started/.exec(stdout)?.[1] ?? '';
  expect(stdout).toMatch(/succeeded/);
});
afterAll(() => dev.stop());

describe('aios metrics and aios cost against `aios dev` (GET /metrics, GET /runs/{id}/cost)', () => {
  it('counts the succeeded run under its workflow and version, with its cost', async () => {
    const { code, stdout, stderr } = await aios(['metrics', '--workflow', 'invoice-follow-up', '--json']);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.workflows).toHaveLength(1);
    expect(report.workflows[0]).toMatchObject({
      workflow: 'invoice-follow-up',
      runs: 1,
      succeeded: 1,
      failed: 0,
    });
    expect(report.workflows[0].cost.awsUsd).toBeGreaterThan(0);
    const text = await aios(['metrics']);
    expect(text.stdout).toMatch(/invoice-follow-up v\d+\n {2}runs 1: 1 succeeded, 0 failed/);
    const other = JSON.parse((await aios(['metrics', '--workflow', 'onboarding', '--json'])).stdout);
    expect(other.workflows).toEqual([]);
  });

  it('prices one run from what it recorded, and refuses an unknown run and a bad window', async () => {
    const { code, stdout, stderr } = await aios(['cost', runId, '--json']);
    expect(code, stderr).toBe(0);
    const cost = JSON.parse(stdout);
    expect(cost).toMatchObject({ runId, pricesAsOf: expect.any(String) });
    expect(cost.usage.stateTransitions).toBeGreaterThan(0);
    expect(cost.totalUsd).toBeCloseTo(cost.modelUsd + cost.awsUsd, 10);
    expect((await aios(['cost', runId])).stdout).toMatch(new RegExp(`^Run ${runId}: \\$`));
    expect((await aios(['cost', 'invoice-follow-up-missing'])).code).toBe(4);
    expect((await aios(['metrics', '--since', 'yesterday'])).code).toBe(2);
  });
});
