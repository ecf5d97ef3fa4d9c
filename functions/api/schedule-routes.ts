import { SlugSchema } from '../core/schemas.ts';
import type { ScheduleFires } from '../core/triggers/schedule-fires.ts';
import { metrics } from '../shared/powertools.ts';
import { type HttpRequest, type HttpResult, json } from './http.ts';
import { pathId } from './request-input.ts';

type Route = (event: HttpRequest) => Promise<HttpResult>;

const notConfigured: Route = async () => json(404, { message: 'schedules are not configured' });
const playbookOf = (event: HttpRequest) => pathId(event, SlugSchema, 'playbook');

/** GET /schedules and POST /schedules/{playbook}/pause|resume|fire: a pause is state, never a redeploy. */
export function scheduleRoutes(
  fires: Pick<ScheduleFires, 'list' | 'pause' | 'resume' | 'fireNow'> | undefined,
) {
  if (!fires)
    return {
      listSchedules: notConfigured,
      pauseSchedule: notConfigured,
      resumeSchedule: notConfigured,
      fireSchedule: notConfigured,
    };
  return {
    listSchedules: (async () => json(200, { schedules: await fires.list() })) as Route,
    pauseSchedule: (async (event) => json(200, { schedule: await fires.pause(playbookOf(event)) })) as Route,
    resumeSchedule: (async (event) =>
      json(200, { schedule: await fires.resume(playbookOf(event)) })) as Route,
    fireSchedule: (async (event) => {
      const { fire, replayed } = await fires.fireNow(playbookOf(event));
      if (!replayed && fire.status === 'STARTED') metrics.addMetric('ScheduledRunStarted', 'Count', 1);
      return json(fire.status === 'FAILED' ? 400 : replayed ? 200 : 202, { fire, replayed });
    }) as Route,
  };
}
