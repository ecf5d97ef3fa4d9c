import { ExecutionAlreadyExists, TaskTimedOut } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBHandoffStore } from '../../../functions/adapters/aws/dynamodb-handoff-store.ts';
import { sesEmailTransport } from '../../../functions/adapters/aws/ses-email-transport.ts';
import { createApprovalHandler } from '../../../functions/approvals/approval-handler.ts';
import { awsApprovals, awsRecovery } from '../../../functions/approvals/aws-approvals.ts';
import type { Settlement } from '../../../functions/core/approvals/service.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { createLocalContext } from '../../../lib/local/http/lambda-context.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { approvalHarness } from '../../support/approval-harness.ts';
import { fakeSfn } from '../../support/fake-sfn.ts';
import { runFixture } from '../../support/fixtures.ts';

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:AiosRun';
const ENV = { STATE_TABLE: TABLE_NAMES.state, STATE_MACHINE_ARN };

/** Closed tokens answer TaskTimedOut, as Step Functions does; existing executions ExecutionAlreadyExists. */
const sfnWith = (closedTokens: Set<string>, existingExecutions: Set<string>) =>
  fakeSfn({
    fail: ({ command, input }) => {
      if (typeof input.taskToken === 'string' && closedTokens.has(input.taskToken))
        return new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} });
      if (command === 'StartExecutionCommand' && existingExecutions.has(String(input.name)))
        return new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
      return undefined;
    },
  });

let db: EmbeddedDynamoDB;
beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
});
afterAll(async () => {
  await db.close();
});

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();
const approvedBy = (by: string, at: string): Settlement => ({
  status: 'APPROVED',
  at,
  event: { at, event: 'approved', channel: 'slack', detail: by },
  decision: { outcome: 'approved', channel: 'slack', by, at },
});

describe('the escalation schedule on AWS: the recovery sweep through the handler', () => {
  it('answers each settled approval a crash left unanswered once, starts QUEUED runs past the grace period, and a second sweep answers nothing', async () => {
    // Prepare: runs paused on approvals that were settled, and whose task tokens were then never
    // answered (the process died between the two writes), plus runs never started.
    const harness = approvalHarness({ client: db.client, tableName: TABLE_NAMES.state });
    const paused = async (name: string) => {
      const step = await harness.pausedRun(`sweep-${name}`);
      await harness.service.request({ ...step, taskToken: `token-${name}` });
      return step.approvalId;
    };
    const approved = await paused('approved');
    await harness.approvals.settle(approved, approvedBy('U0AIOSOPS', minutesAgo(10)));
    const rejected = await paused('rejected');
    await harness.approvals.settle(rejected, {
      status: 'REJECTED',
      at: minutesAgo(10),
      event: { at: minutesAgo(10), event: 'rejected', detail: 'operator: wrong amount' },
      decision: {
        outcome: 'rejected',
        channel: 'api',
        by: 'operator',
        at: minutesAgo(10),
        note: 'wrong amount',
      },
    });
    const expired = await paused('expired');
    await harness.approvals.settle(expired, {
      status: 'EXPIRED',
      at: minutesAgo(10),
      event: { at: minutesAgo(10), event: 'expired', detail: 'nobody decided' },
    });
    // Answered before the crash after all: the token is closed.
    const closed = await paused('closed');
    await harness.approvals.settle(closed, approvedBy('U0AIOSOPS', minutesAgo(10)));
    // Decided a moment ago: its decision may still be answering it; the sweep leaves it alone.
    const fresh = await paused('fresh');
    await harness.approvals.settle(fresh, approvedBy('U0AIOSOPS', new Date().toISOString()));
    for (const [runId, createdAt] of [
      ['queued-stranded', minutesAgo(5)],
      ['queued-started', minutesAgo(10)],
      ['queued-fresh', new Date().toISOString()],
    ] as const) {
      await harness.store.createRun(runFixture({ runId, status: 'QUEUED', createdAt, updatedAt: createdAt }));
    }
    const sfn = sfnWith(new Set(['token-closed']), new Set(['queued-started']));
    const clients = { dynamodb: db.client, sfn: sfn.client };
    const { service } = awsApprovals(ENV, clients, { email: sesEmailTransport });
    const handler = createApprovalHandler(service, awsRecovery(service, ENV, clients));
    const sweep = () => handler({ op: 'escalate' }, createLocalContext('approval-escalation', 60_000));

    // Act
    const first = await sweep();

    // Assess
    expect(first).toMatchObject({
      recovered: { approvalsAnswered: 3, approvalsAlreadyAnswered: 1, runsStarted: 2, failures: 0 },
    });
    const answers = sfn.sent.filter((s) => s.command.startsWith('SendTask'));
    expect(answers.map((a) => [a.command, a.input.taskToken, a.input.error]).sort()).toEqual(
      [
        ['SendTaskFailureCommand', 'token-expired', 'ApprovalTimedOutError'],
        ['SendTaskFailureCommand', 'token-rejected', 'ApprovalRejectedError'],
        ['SendTaskSuccessCommand', 'token-approved', undefined],
        ['SendTaskSuccessCommand', 'token-closed', undefined],
      ].sort(),
    );
    expect(
      JSON.parse(answers.find((a) => a.input.taskToken === 'token-approved')?.input.output as string),
    ).toEqual({
      approved: true,
      by: 'U0AIOSOPS',
      channel: 'slack',
      params: { to: ['billing@acme.example'], subject: 'Invoice 0001' },
    });
    expect(answers.find((a) => a.input.taskToken === 'token-rejected')?.input.cause).toBe(
      'rejected by operator via api: wrong amount',
    );
    const starts = sfn.sent.filter((s) => s.command === 'StartExecutionCommand');
    expect(starts.map((s) => s.input)).toEqual(
      expect.arrayContaining([
        { stateMachineArn: STATE_MACHINE_ARN, name: 'queued-stranded', input: '{"runId":"queued-stranded"}' },
        { stateMachineArn: STATE_MACHINE_ARN, name: 'queued-started', input: '{"runId":"queued-started"}' },
      ]),
    );
    expect(starts).toHaveLength(2);
    for (const id of [approved, rejected, expired, closed])
      expect((await service.get(id))?.answeredAt).toBeDefined();
    expect((await service.get(fresh))?.answeredAt).toBeUndefined();
    // The decision the crash kept out of the audit log is there, once.
    const audit = await harness.store.listAudit('sweep-approved');
    expect(audit.filter((a) => a.outcome === 'approved')).toHaveLength(1);
    expect(await service.listPending()).toEqual([]);

    // A second pass: every approval it could answer is answered; nothing goes out twice.
    sfn.sent.length = 0;
    const second = await sweep();
    expect(second).toMatchObject({ recovered: { approvalsAnswered: 0, approvalsAlreadyAnswered: 0 } });
    expect(sfn.sent.filter((s) => s.command.startsWith('SendTask'))).toEqual([]);
    expect(
      (await harness.store.listAudit('sweep-approved')).filter((a) => a.outcome === 'approved'),
    ).toHaveLength(1);
  });

  it('answers a handoff the operator completed whose run a crash kept from hearing, once', async () => {
    // Prepare: the operator's output is recorded, the task token never answered (a crash between).
    const handoffs = createDynamoDBHandoffStore({ client: db.client, tableName: TABLE_NAMES.state });
    const handoffId = 'sweep-handoff-h0';
    await handoffs.create(
      {
        handoffId,
        runId: 'sweep-handoff',
        stepIndex: 0,
        stepId: 'draft-note',
        title: 'Draft the note',
        workflow: 'draft-note',
        kind: 'model.draft',
        status: 'PENDING',
        createdAt: minutesAgo(10),
        input: {},
        outputs: {},
        memories: [],
        prompt: 'Write a note.',
        error: 'model down',
      },
      'token-handoff',
    );
    await handoffs.complete(handoffId, { by: 'operator', at: minutesAgo(5), output: { text: 'Hello' } });
    const sfn = sfnWith(new Set(), new Set());
    const clients = { dynamodb: db.client, sfn: sfn.client };
    const { service } = awsApprovals(ENV, clients, { email: sesEmailTransport });
    const handler = createApprovalHandler(service, awsRecovery(service, ENV, clients));
    const sweep = () => handler({ op: 'escalate' }, createLocalContext('approval-escalation', 60_000));

    // Act
    const first = await sweep();
    const second = await sweep();

    // Assess
    expect(first).toMatchObject({ recovered: { handoffsAnswered: 1 } });
    expect(second).toMatchObject({ recovered: { handoffsAnswered: 0 } });
    const answers = sfn.sent.filter((s) => s.command === 'SendTaskSuccessCommand');
    expect(answers.map((a) => a.input.taskToken)).toEqual(['token-handoff']);
    expect(JSON.parse(answers[0]?.input.output as string)).toMatchObject({ stepId: 'draft-note', ok: true });
  });
});

describe('the escalation schedule on AWS: actions whose answer never reached their run', () => {
  it("answers the token a RUNNING run's action waits on (read from its history) from the intent that already ended, once, and leaves an intent that ended a moment ago alone", async () => {
    // Prepare: two runs wait at "Execute action" of step 1; the gateway made both effects and
    // recorded them, and neither answer reached its execution. One ended 10 minutes ago, the
    // other a moment ago (its gateway attempt may still be answering).
    const store = approvalHarness({ client: db.client, tableName: TABLE_NAMES.state }).store;
    const result = {
      ok: true,
      output: { entityType: 'customer', entityId: 'acme', version: 1 },
      durationMs: 9,
    };
    const waitingRuns = { 'sweep-action': minutesAgo(10), 'sweep-action-fresh': new Date().toISOString() };
    for (const [runId, finishedAt] of Object.entries(waitingRuns)) {
      await store.createRun(runFixture({ runId, status: 'RUNNING' }));
      await store.recordIntent({
        runId,
        stepIndex: 1,
        stepId: 'create-customer',
        title: 'Create the customer',
        action: { type: 'state.upsert', params: { entityType: 'customer', entityId: 'acme', data: {} } },
        idempotencyKey: `key-${runId}`,
        status: 'SUCCEEDED',
        decision: 'allow',
        attempts: 1,
        result,
        recordedAt: minutesAgo(11),
        finishedAt,
      });
    }
    const executionOf = (arn: unknown) => String(arn).split(':').at(-1) as string;
    // Newest first, as the sweep asks for it: the task was submitted and is still waiting.
    const waitingHistory = (runId: string) => ({
      events: [
        {
          id: 14,
          type: 'TaskSubmitted',
          taskSubmittedEventDetails: { resource: 'sendMessage.waitForTaskToken' },
        },
        {
          id: 13,
          type: 'TaskStarted',
          taskStartedEventDetails: { resource: 'sendMessage.waitForTaskToken' },
        },
        {
          id: 12,
          type: 'TaskScheduled',
          taskScheduledEventDetails: {
            resource: 'sendMessage.waitForTaskToken',
            parameters: JSON.stringify({
              QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/aios-actions',
              MessageBody: {
                taskToken: `token-${runId}`,
                runId,
                stepIndex: 1,
                idempotencyKey: `key-${runId}`,
              },
            }),
          },
        },
        { id: 11, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Execute action' } },
      ],
    });
    const answered = new Set<string>();
    const sfn = fakeSfn({
      history: ({ input }) => {
        const runId = executionOf(input.executionArn);
        if (!(runId in waitingRuns)) return { events: [] };
        if (!answered.has(runId)) return waitingHistory(runId);
        const events = waitingHistory(runId).events;
        return { events: [{ id: 15, type: 'TaskSucceeded', taskSucceededEventDetails: {} }, ...events] };
      },
    });
    const clients = { dynamodb: db.client, sfn: sfn.client };
    const { service } = awsApprovals(ENV, clients, { email: sesEmailTransport });
    const handler = createApprovalHandler(service, awsRecovery(service, ENV, clients));
    const sweep = () => handler({ op: 'escalate' }, createLocalContext('approval-escalation', 60_000));

    // Act
    const first = await sweep();
    answered.add('sweep-action');
    const second = await sweep();

    // Assess
    expect(first).toMatchObject({
      recovered: { actionsAnswered: 1, actionsAlreadyAnswered: 0, failures: 0 },
    });
    expect(second).toMatchObject({
      recovered: { actionsAnswered: 0, actionsAlreadyAnswered: 0, failures: 0 },
    });
    const answers = sfn.sent.filter((s) => s.command.startsWith('SendTask'));
    expect(answers.map((a) => [a.command, a.input.taskToken])).toEqual([
      ['SendTaskSuccessCommand', 'token-sweep-action'],
    ]);
    expect(JSON.parse(answers[0]?.input.output as string)).toEqual(result);
    const reads = sfn.sent.filter(
      (s) =>
        s.command === 'GetExecutionHistoryCommand' && executionOf(s.input.executionArn) === 'sweep-action',
    );
    expect(reads[0]?.input).toMatchObject({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:AiosRun:sweep-action',
      reverseOrder: true,
      includeExecutionData: true,
    });
  });
});
