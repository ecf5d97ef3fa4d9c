import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import type { PlaybookSchedules } from '../../core/ports.ts';
import type { Workflow } from '../../core/schemas.ts';
import { isScheduled } from '../../core/triggers/schedule-fires.ts';

/** How long the scheduler keeps retrying a delivery that fails, and how often, before the DLQ. */
export const SCHEDULE_RETRY = { maximumEventAgeInSeconds: 3_600, maximumRetryAttempts: 10 } as const;

/**
 * What a delivery tells the schedule function: the playbook and the scheduled time, not the
 * delivery's, so every retry names the same fire (and run).
 */
export const scheduleTargetInput = (playbook: string) =>
  JSON.stringify({ playbook, scheduledTime: '<aws.scheduler.scheduled-time>' });

/** A playbook's schedule is named after it, in the stack's group: the deploy and a push manage the same one. */
export const scheduleNameOf = (playbook: string) => playbook;

export interface EventBridgePlaybookSchedulesOptions {
  client: SchedulerClient;
  /** The stack's schedule group; the API's role may manage schedules in it only. */
  groupName: string;
  /** The schedule function every schedule invokes, the role it invokes it with, and the DLQ. */
  targetArn: string;
  roleArn: string;
  deadLetterArn: string;
}

/**
 * A pushed playbook's EventBridge Scheduler schedule, made what its newest version says at push time:
 * created or updated (an update replaces the whole definition, so repeating it changes nothing),
 * or deleted when the version has no schedule. No deploy needed.
 */
export function createEventBridgePlaybookSchedules(
  options: EventBridgePlaybookSchedulesOptions,
): PlaybookSchedules {
  const { client, groupName } = options;
  return {
    async sync(workflow: Workflow) {
      const Name = scheduleNameOf(workflow.name);
      if (!isScheduled(workflow)) {
        try {
          await client.send(new DeleteScheduleCommand({ Name, GroupName: groupName }));
          return 'deleted';
        } catch (error) {
          if (error instanceof ResourceNotFoundException) return 'none';
          throw error;
        }
      }
      const definition: CreateScheduleCommandInput = {
        Name,
        GroupName: groupName,
        Description: `aios playbook ${workflow.name} v${workflow.version}: ${workflow.trigger.expression} (${workflow.trigger.timezone})`,
        ScheduleExpression: workflow.trigger.expression,
        ScheduleExpressionTimezone: workflow.trigger.timezone,
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: options.targetArn,
          RoleArn: options.roleArn,
          Input: scheduleTargetInput(workflow.name),
          RetryPolicy: {
            MaximumEventAgeInSeconds: SCHEDULE_RETRY.maximumEventAgeInSeconds,
            MaximumRetryAttempts: SCHEDULE_RETRY.maximumRetryAttempts,
          },
          DeadLetterConfig: { Arn: options.deadLetterArn },
        },
      };
      try {
        await client.send(new UpdateScheduleCommand(definition));
        return 'updated';
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
      try {
        await client.send(new CreateScheduleCommand(definition));
        return 'created';
      } catch (error) {
        // Another push created it meanwhile: make it this version's.
        if (!(error instanceof ConflictException)) throw error;
        await client.send(new UpdateScheduleCommand(definition));
        return 'updated';
      }
    },
  };
}
