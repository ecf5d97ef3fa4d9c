import middy from '@middy/core';
import * as z from 'zod';
import type { ScheduleFires } from '../core/triggers/schedule-fires.ts';
import { parseOrThrow } from '../core/validation.ts';
import { observability } from '../shared/observability.ts';
import { logger, metrics } from '../shared/powertools.ts';

/**
 * What each schedule delivers (its target input): the playbook, and EventBridge Scheduler's
 * `<aws.scheduler.scheduled-time>`, the time the fire was scheduled for, the same on every retry.
 */
export const ScheduleEventSchema = z.object({
  playbook: z.string().min(1).max(64),
  scheduledTime: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }),
});
export type ScheduleEvent = z.infer<typeof ScheduleEventSchema>;

export interface ScheduleStartResult {
  runId: string;
  status: string;
  replayed: boolean;
}

/**
 * The target of every playbook schedule, runtime-neutral: a delivery records its fire and starts
 * its run through the same path as the local scheduler. An error fails the invocation, so the
 * scheduler's retries and then the dead-letter queue get it; a repeated delivery starts nothing new.
 */
export function createScheduleStartHandler(fires: Pick<ScheduleFires, 'fire'>) {
  return middy<unknown, ScheduleStartResult>({ timeoutEarlyInMillis: 0 })
    .use(observability())
    .handler(async (raw) => {
      const event = parseOrThrow(ScheduleEventSchema, raw, 'schedule event');
      const { fire, replayed } = await fires.fire(event.playbook, new Date(event.scheduledTime), 'schedule');
      logger.info('schedule fire', {
        playbook: fire.playbook,
        scheduledAt: fire.scheduledAt,
        runId: fire.runId,
        status: fire.status,
        replayed,
      });
      if (!replayed && fire.status === 'STARTED') metrics.addMetric('ScheduledRunStarted', 'Count', 1);
      if (fire.status === 'FAILED')
        logger.error('a schedule fire was refused', { playbook: fire.playbook, reason: fire.reason });
      return { runId: fire.runId, status: fire.status, replayed };
    });
}
