import { ConflictException, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import {
  createEventBridgePlaybookSchedules,
  SCHEDULE_RETRY,
} from '../../../functions/adapters/aws/eventbridge-playbook-schedules.ts';
import { WorkflowSchema } from '../../../functions/core/workflow-schema.ts';
import { scenarioWorkflow } from '../../support/local-runtime.ts';

interface Sent {
  command: string;
  input: Record<string, unknown>;
}

/** A real Scheduler client whose calls never leave the process: each command recorded, answered by `fail` or `{}`. */
function fakeScheduler(fail: (sent: Sent) => Error | undefined = () => undefined) {
  const sent: Sent[] = [];
  const client = new SchedulerClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  Object.assign(client, {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const entry = { command: command.constructor.name, input: command.input };
      sent.push(entry);
      const failure = fail(entry);
      if (failure) throw failure;
      return {};
    },
  });
  return { client, sent };
}

const OPTIONS = {
  groupName: 'Aios-playbooks',
  targetArn: 'arn:aws:lambda:eu-west-1:111122223333:function:Aios-ScheduleStart',
  roleArn: 'arn:aws:iam::111122223333:role/Aios-SchedulerRole',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:111122223333:Aios-ScheduleDLQ',
};
const scheduled = WorkflowSchema.parse(
  scenarioWorkflow({
    name: 'morning-tally',
    version: 3,
    trigger: { type: 'schedule', expression: 'cron(30 7 * * ? *)', timezone: 'Europe/Paris' },
  }),
);
const notFound = () =>
  new ResourceNotFoundException({
    Message: 'Schedule morning-tally does not exist.',
    message: 'Schedule morning-tally does not exist.',
    $metadata: {},
  });

const definition = {
  Name: 'morning-tally',
  GroupName: 'Aios-playbooks',
  Description: 'aios playbook morning-tally v3: cron(30 7 * * ? *) (Europe/Paris)',
  ScheduleExpression: 'cron(30 7 * * ? *)',
  ScheduleExpressionTimezone: 'Europe/Paris',
  FlexibleTimeWindow: { Mode: 'OFF' },
  State: 'ENABLED',
  Target: {
    Arn: OPTIONS.targetArn,
    RoleArn: OPTIONS.roleArn,
    Input: JSON.stringify({ playbook: 'morning-tally', scheduledTime: '<aws.scheduler.scheduled-time>' }),
    RetryPolicy: {
      MaximumEventAgeInSeconds: SCHEDULE_RETRY.maximumEventAgeInSeconds,
      MaximumRetryAttempts: SCHEDULE_RETRY.maximumRetryAttempts,
    },
    DeadLetterConfig: { Arn: OPTIONS.deadLetterArn },
  },
};

describe('EventBridge Scheduler: a pushed playbook schedule, without a deploy', () => {
  it('updates the schedule in the group when it exists (the whole definition: repeating it changes nothing)', async () => {
    const scheduler = fakeScheduler();
    const schedules = createEventBridgePlaybookSchedules({ client: scheduler.client, ...OPTIONS });
    expect(await schedules.sync(scheduled)).toBe('updated');
    expect(scheduler.sent).toEqual([{ command: 'UpdateScheduleCommand', input: definition }]);
  });

  it('creates it when there is none yet', async () => {
    const scheduler = fakeScheduler((s) => (s.command === 'UpdateScheduleCommand' ? notFound() : undefined));
    const schedules = createEventBridgePlaybookSchedules({ client: scheduler.client, ...OPTIONS });
    expect(await schedules.sync(scheduled)).toBe('created');
    expect(scheduler.sent).toEqual([
      { command: 'UpdateScheduleCommand', input: definition },
      { command: 'CreateScheduleCommand', input: definition },
    ]);
  });

  it('a create that loses to a concurrent push updates instead', async () => {
    let updates = 0;
    const scheduler = fakeScheduler((s) => {
      if (s.command === 'UpdateScheduleCommand') {
        updates += 1;
        if (updates === 1) return notFound();
      }
      if (s.command === 'CreateScheduleCommand')
        return new ConflictException({
          Message: 'Schedule morning-tally already exists.',
          message: 'Schedule morning-tally already exists.',
          $metadata: {},
        });
      return undefined;
    });
    const schedules = createEventBridgePlaybookSchedules({ client: scheduler.client, ...OPTIONS });
    expect(await schedules.sync(scheduled)).toBe('updated');
    expect(scheduler.sent.map((s) => s.command)).toEqual([
      'UpdateScheduleCommand',
      'CreateScheduleCommand',
      'UpdateScheduleCommand',
    ]);
  });

  it('deletes it when the version has no schedule; none there is fine', async () => {
    const manual = WorkflowSchema.parse(
      scenarioWorkflow({ name: 'morning-tally', trigger: { type: 'manual' } }),
    );
    const scheduler = fakeScheduler();
    expect(
      await createEventBridgePlaybookSchedules({ client: scheduler.client, ...OPTIONS }).sync(manual),
    ).toBe('deleted');
    expect(scheduler.sent).toEqual([
      { command: 'DeleteScheduleCommand', input: { Name: 'morning-tally', GroupName: 'Aios-playbooks' } },
    ]);
    const gone = fakeScheduler(() => notFound());
    expect(await createEventBridgePlaybookSchedules({ client: gone.client, ...OPTIONS }).sync(manual)).toBe(
      'none',
    );
  });

  it('any other failure reaches the push (which can be repeated)', async () => {
    const scheduler = fakeScheduler(() =>
      Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }),
    );
    await expect(
      createEventBridgePlaybookSchedules({ client: scheduler.client, ...OPTIONS }).sync(scheduled),
    ).rejects.toThrow(/not authorized/);
  });
});
