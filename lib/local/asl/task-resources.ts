import { createHash } from 'node:crypto';
import { StatesError, StatesRuntimeError } from './errors.ts';
import { toJson } from './json.ts';
import type { Json, JsonObject } from './types.ts';

/** The services a Task may call; the host injects them (in-process handlers, the local queue, ...). */
export interface TaskResources {
  /** Runs a Lambda handler and returns its result. A thrown Error becomes a States error named after it. */
  invokeLambda(functionName: string, payload: unknown): Promise<unknown>;
  /**
   * Enqueues a message. It must not wait for the message to be processed: a worker answering a
   * task token would wait on the interpreter, which waits on this call.
   */
  sendMessage(queueUrl: string, body: unknown): Promise<{ MessageId: string }>;
}

export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
export const SQS_SEND_MESSAGE = 'arn:aws:states:::sqs:sendMessage';
const WAIT_FOR_TASK_TOKEN = '.waitForTaskToken';

export function isWaitForTaskToken(resource: string): boolean {
  return resource.endsWith(WAIT_FOR_TASK_TOKEN);
}

/** Calls the integration named by `resource` and returns the task result the real service would give. */
export async function invokeResource(
  resources: Partial<TaskResources>,
  resource: string,
  parameters: Json,
): Promise<Json> {
  const integration = isWaitForTaskToken(resource)
    ? resource.slice(0, -WAIT_FOR_TASK_TOKEN.length)
    : resource;
  const params = (parameters ?? {}) as JsonObject;
  if (integration === LAMBDA_INVOKE) {
    const functionName = requireString(params, 'FunctionName', resource);
    if (!resources.invokeLambda) throw new StatesRuntimeError('No invokeLambda resource is configured');
    let payload: unknown;
    try {
      payload = await resources.invokeLambda(functionName, params.Payload ?? null);
    } catch (error) {
      throw lambdaError(error);
    }
    return { Payload: toJson(payload), StatusCode: 200, ExecutedVersion: '$LATEST' };
  }
  if (integration === SQS_SEND_MESSAGE) {
    const queueUrl = requireString(params, 'QueueUrl', resource);
    if (!resources.sendMessage) throw new StatesRuntimeError('No sendMessage resource is configured');
    const body = params.MessageBody ?? null;
    let sent: { MessageId: string };
    try {
      sent = await resources.sendMessage(queueUrl, body);
    } catch (error) {
      const { name, message } = asError(error);
      throw new StatesError(name, message);
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return { MessageId: sent.MessageId, MD5OfMessageBody: createHash('md5').update(text).digest('hex') };
  }
  throw new StatesRuntimeError(`Unsupported resource ${resource}`);
}

function requireString(params: JsonObject, field: string, resource: string): string {
  const value = params[field];
  if (typeof value !== 'string')
    throw new StatesRuntimeError(`${resource} needs Parameters.${field} (a string)`);
  return value;
}

function asError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name || 'Error', message: error.message };
  return { name: 'Error', message: String(error) };
}

// The real service reports a function error as the error type, with Lambda's error JSON as the cause.
function lambdaError(error: unknown): StatesError {
  const { name, message } = asError(error);
  return new StatesError(name, JSON.stringify({ errorMessage: message, errorType: name }));
}
