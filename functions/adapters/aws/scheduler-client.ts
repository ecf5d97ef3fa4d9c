import { SchedulerClient } from '@aws-sdk/client-scheduler';

/** The EventBridge Scheduler client, built once per container; only the api function loads it. */
export const schedulerClient = () => new SchedulerClient({});
