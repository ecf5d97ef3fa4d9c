import { lazySchema } from './lazy-schema.ts';
import { parseScheduleExpression, ScheduleExpressionError } from './triggers/schedule-expression.ts';
import { ScheduleTriggerSchema, workflowSchemaOf } from './workflow-schema.ts';

/**
 * A playbook as a push (or a fixed catalogue) takes it: the workflow schema plus the check that
 * its schedule's expression parses, read in its time zone. Only here, so that the cron parser
 * loads where playbooks are pushed or fires computed, not in every function that reads one.
 */
const CheckedScheduleTriggerSchema = lazySchema(() =>
  ScheduleTriggerSchema.superRefine((trigger, context) => {
    try {
      parseScheduleExpression(trigger.expression, trigger.timezone);
    } catch (error) {
      if (!(error instanceof ScheduleExpressionError)) throw error;
      context.addIssue({ code: 'custom', message: error.message, path: ['expression'] });
    }
  }),
);

export const PlaybookSchema = lazySchema(() => workflowSchemaOf(CheckedScheduleTriggerSchema));
