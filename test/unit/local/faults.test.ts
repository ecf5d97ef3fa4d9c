import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import type { ApprovalStore } from '../../../functions/core/approvals/service.ts';
import { catalogueOf } from '../../../functions/core/connector.ts';
import { ANSWERED, type OrchestratorCallbacks } from '../../../functions/core/ports.ts';
import { createFaults, type FaultWindow, faultsFromEnv, parseFaultSpec } from '../../../lib/local/faults.ts';
import { runFixture } from '../../support/fixtures.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';
import { approvalFixture } from '../approvals/slack/fixtures.ts';

/** Stands in for SIGKILL: nothing after the fault runs, and the test sees where it happened. */
class Killed extends Error {
  constructor(readonly window: FaultWindow) {
    super(`killed at ${window}`);
  }
}
const killAt = (spec: string) =>
  createFaults(parseFaultSpec(spec), {
    random: () => 0,
    crash: (window) => {
      throw new Killed(window);
    },
  });

/** Just enough of an approval store: settling records the settlement, nothing else is called. */
function memoryApprovalStore(initial: Approval): ApprovalStore & { records: Map<string, Approval> } {
  const records = new Map([[initial.approvalId, initial]]);
  const unused = () => Promise.reject(new Error('not used here'));
  return {
    records,
    create: async (approval) => approval,
    get: async (id) => records.get(id),
    taskToken: async () => 'token',
    listPending: async () => [...records.values()].filter((a) => a.status === 'PENDING'),
    recordEvent: unused,
    advanceEscalation: unused,
    markAnswered: unused,
    markLogged: unused,
    listUnanswered: unused,
    async settle(id, settlement) {
      const current = records.get(id) as Approval;
      const next = { ...current, status: settlement.status, decision: settlement.decision };
      records.set(id, next);
      return next;
    },
  };
}

describe('AIOS_FAULTS: the soak crash windows', () => {
  it('parses window:probability pairs and refuses anything else, naming the variable', () => {
    expect([...parseFaultSpec('after-run-record:0.05, after-decision:1,after-effect:0')]).toEqual([
      ['after-run-record', 0.05],
      ['after-decision', 1],
      ['after-effect', 0],
    ]);
    expect(parseFaultSpec('').size).toBe(0);
    for (const bad of [
      'after-lunch:0.1',
      'after-effect:1.5',
      'after-effect:abc',
      'after-effect',
      'after-effect:0.1:2',
    ]) {
      expect(() => parseFaultSpec(bad), bad).toThrow(/^AIOS_FAULTS: /);
    }
  });

  it('wraps nothing when the variable is unset', () => {
    const faults = faultsFromEnv({});
    const store = createMemoryStateStore();
    const callbacks: OrchestratorCallbacks = {
      taskSucceeded: async () => ANSWERED,
      taskFailed: async () => ANSWERED,
    };
    const catalogue = catalogueOf([]);
    expect(faults.stateStore(store)).toBe(store);
    expect(faults.callbacks(callbacks)).toBe(callbacks);
    expect(faults.catalogue(catalogue)).toBe(catalogue);
  });

  it('after-run-record: the run record is written when the process dies', async () => {
    const inner = createMemoryStateStore();
    const store = killAt('after-run-record:1').stateStore(inner);
    await expect(store.createRun(runFixture({ runId: 'r1', status: 'QUEUED' }))).rejects.toEqual(
      new Killed('after-run-record'),
    );
    expect(await inner.getRun('r1')).toMatchObject({ runId: 'r1', status: 'QUEUED' });
  });

  it('after-decision: dies after a decision is written, not after a settlement without one', async () => {
    const inner = memoryApprovalStore(approvalFixture());
    const id = approvalFixture().approvalId;
    const approvals = killAt('after-decision:1').approvalStore(inner);
    const at = '2026-11-25T10:00:00.000Z';
    await approvals.settle(id, {
      status: 'EXPIRED',
      at,
      event: { at, event: 'expired', detail: 'timed out' },
    });
    const decision = { outcome: 'approved', channel: 'api', by: 'operator', at } as const;
    await expect(
      approvals.settle(id, {
        status: 'APPROVED',
        at,
        decision,
        event: { at, event: 'approved', detail: 'operator' },
      }),
    ).rejects.toEqual(new Killed('after-decision'));
    expect(inner.records.get(id)).toMatchObject({ status: 'APPROVED', decision });
  });

  it("after-effect: the connector's effect happened, the caller never gets its result", async () => {
    const effects: string[] = [];
    const catalogue = killAt('after-effect:1').catalogue(
      catalogueOf([
        {
          type: 'test.effect',
          paramsSchema: z.object({}),
          risk: 'write',
          undoable: false,
          idempotent: true,
          async execute(_params, context) {
            effects.push(context.idempotencyKey);
            return { ok: true };
          },
        },
      ]),
    );
    const connector = catalogue.get('test.effect');
    const context = { idempotencyKey: 'k1', runId: 'r1', stepIndex: 0, now: new Date() };
    await expect(connector?.execute({}, context)).rejects.toEqual(new Killed('after-effect'));
    expect(effects).toEqual(['k1']);
    expect(connector).toMatchObject({ type: 'test.effect', idempotent: true, undoable: false });
  });

  it('before-task-answer: dies before the orchestrator hears success or failure', async () => {
    const answers: string[] = [];
    const callbacks = killAt('before-task-answer:1').callbacks({
      taskSucceeded: async (token) => {
        answers.push(`ok ${token}`);
        return ANSWERED;
      },
      taskFailed: async (token) => {
        answers.push(`failed ${token}`);
        return ANSWERED;
      },
    });
    await expect(callbacks.taskSucceeded('t1', {})).rejects.toEqual(new Killed('before-task-answer'));
    await expect(callbacks.taskFailed('t2', 'E', 'c')).rejects.toEqual(new Killed('before-task-answer'));
    expect(answers).toEqual([]);
  });

  it('fires with its probability per occurrence, and only in the windows named', async () => {
    const draws = [0.5, 0.05, 0.5];
    const crashes: FaultWindow[] = [];
    const answers: string[] = [];
    const faults = createFaults(parseFaultSpec('before-task-answer:0.1'), {
      random: () => draws.shift() ?? 1,
      crash: (window) => void crashes.push(window),
    });
    const callbacks = faults.callbacks({
      taskSucceeded: async (token) => {
        answers.push(token);
        return ANSWERED;
      },
      taskFailed: async () => ANSWERED,
    });
    for (const token of ['a', 'b', 'c']) await callbacks.taskSucceeded(token, {});
    await faults.stateStore(createMemoryStateStore()).createRun(runFixture({ runId: 'r2' }));
    expect(crashes).toEqual(['before-task-answer']);
    expect(answers).toEqual(['a', 'b', 'c']);
  });
});
