import { lazySchema } from './lazy-schema.ts';
import { MAX_PLAN_STEPS } from './schemas.ts';
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

/*
 * A run's plan holds at most MAX_PLAN_STEPS steps, so a playbook with more would be stored and then
 * fail every run before its first step: it is refused at the push instead. Stored versions are read
 * without this check (WorkflowSchema), so one pushed before it still lists and shows.
 */
export const PlaybookSchema = lazySchema(() =>
  workflowSchemaOf(CheckedScheduleTriggerSchema).superRefine((workflow, context) => {
    const count = workflow.steps?.length ?? 0;
    if (count > MAX_PLAN_STEPS)
      context.addIssue({
        code: 'custom',
        path: ['steps'],
        message: `a playbook has at most ${MAX_PLAN_STEPS} steps (a run's plan holds no more); this one has ${count}`,
      });
  }),
);
