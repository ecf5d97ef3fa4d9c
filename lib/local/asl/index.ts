export { type AslClock, systemAslClock } from './clock.ts';
export { substitutePlaceholders, validateDefinition } from './definition.ts';
export {
  createDynamoDBExecutionStore,
  type DynamoDBExecutionStoreOptions,
} from './dynamodb-execution-store.ts';
export * from './errors.ts';
export type { ExecutionStore } from './execution-store.ts';
export {
  createLocalStepFunctions,
  type ExecutionDescription,
  type ExecutionListItem,
  executionArn,
  type LocalStepFunctions,
  type LocalStepFunctionsOptions,
  stateMachineArn,
} from './local-step-functions.ts';
export { createMemoryExecutionStore } from './memory-execution-store.ts';
export type { TaskResources } from './task-resources.ts';
export type { ExecutionStatus, HistoryEvent, HistoryEventDetails, HistoryEventType, Json } from './types.ts';
