import { AsyncLocalStorage } from 'node:async_hooks';
import { ErrorCode, type FetchFunction, LogLevel, type ViewsOpenArguments, WebClient } from '@slack/web-api';
import { PermanentConnectorError, TransientConnectorError } from '../../core/errors.ts';
import type {
  CallOptions,
  SlackMessage,
  SlackMessageRef,
  SlackMessageUpdate,
  SlackModalView,
  SlackTransport,
} from '../../core/ports/slack-transport.ts';

export interface WebApiSlackTransportOptions {
  /** The bot token, fetched when a call needs it (and cached by whoever supplies it); never logged. */
  getToken: () => Promise<string>;
  /** Slack's Web API base URL; tests point it at a loopback fake. */
  slackApiUrl?: string;
  /** Per-request timeout; a call that takes longer fails as transient. */
  timeoutMs?: number;
}

/** Platform error codes worth another try; every other `ok: false` answer is permanent. */
const TRANSIENT_CODES = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

class AlreadyDeleted extends Error {}

interface SlackErrorShape {
  code?: string;
  data?: { error?: string };
  retryAfter?: number;
  statusCode?: number;
  original?: Error;
  message?: string;
}

/**
 * Rate limiting, 5xx and network failures are transient; `ok: false` answers (channel_not_found,
 * not_in_channel, invalid_auth, invalid_blocks, ...) are permanent and name Slack's code. The
 * Web API client's error is not chained as the cause: its request details carry the token.
 */
export function slackErrorToConnectorError(
  method: string,
  error: unknown,
): TransientConnectorError | PermanentConnectorError | undefined {
  const e = (error ?? {}) as SlackErrorShape;
  switch (e.code) {
    case ErrorCode.RateLimitedError:
      return new TransientConnectorError(`Slack ${method} was rate limited; retry after ${e.retryAfter}s`);
    case ErrorCode.HTTPError: {
      const status = e.statusCode ?? 0;
      const message = `Slack ${method} answered HTTP ${status}`;
      return status === 429 || status >= 500
        ? new TransientConnectorError(message)
        : new PermanentConnectorError(message);
    }
    case ErrorCode.RequestError:
      return new TransientConnectorError(
        `Slack ${method} did not answer: ${e.original?.message ?? e.message ?? 'request failed'}`,
      );
    case ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown_error';
      const message = `Slack ${method} failed: ${code}`;
      return TRANSIENT_CODES.has(code)
        ? new TransientConnectorError(message)
        : new PermanentConnectorError(message);
    }
    default:
      return undefined;
  }
}

/**
 * Slack through the official Web API client. The client never retries (`retries: 0`) and
 * rejects rate-limited calls at once: retries belong to the orchestrator, which has the intent.
 * chat.postMessage has no idempotency key, so this transport does not dedupe; the intent's key
 * travels as message metadata so a human can find the message an intent posted.
 */
export function createWebApiSlackTransport(options: WebApiSlackTransportOptions): SlackTransport {
  const baseUrl = options.slackApiUrl;
  // The client takes no signal per call; its fetch finds the deadline of the call it serves here.
  // (A request the client queued beyond maxRequestConcurrency, 100, would not see it.)
  const callSignal = new AsyncLocalStorage<AbortSignal>();
  const fetchWithDeadline: FetchFunction = (url, init) => {
    const deadline = callSignal.getStore();
    if (!deadline) return fetch(url, init);
    return fetch(url, {
      ...init,
      signal: init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline,
    });
  };
  const client = new WebClient(undefined, {
    fetch: fetchWithDeadline,
    ...(baseUrl ? { slackApiUrl: baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/` } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? 10_000,
    logLevel: LogLevel.ERROR,
  });

  async function call<T>(
    method: string,
    run: (token: string) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const token = await options.getToken();
    try {
      signal?.throwIfAborted();
      return await (signal ? callSignal.run(signal, () => run(token)) : run(token));
    } catch (error) {
      // Deleting twice is one deletion: a compensation may run again after a crash.
      if (method === 'chat.delete' && (error as SlackErrorShape).data?.error === 'message_not_found') {
        throw new AlreadyDeleted();
      }
      throw slackErrorToConnectorError(method, error) ?? error;
    }
  }

  return {
    dedupes: false,
    postMessage(message: SlackMessage, callOptions?: CallOptions) {
      return call(
        'chat.postMessage',
        async (token) => {
          const result = await client.chat.postMessage({
            token,
            channel: message.channel,
            text: message.text,
            ...(message.blocks ? { blocks: [...message.blocks] } : {}),
            ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
            metadata: {
              event_type: 'aios_action',
              event_payload: { idempotency_key: message.idempotencyKey },
            },
          });
          if (!result.channel || !result.ts) {
            throw new PermanentConnectorError('Slack chat.postMessage answered ok without a channel and ts');
          }
          return { channel: result.channel, ts: result.ts };
        },
        callOptions?.signal,
      );
    },
    async deleteMessage(ref: SlackMessageRef, callOptions?: CallOptions) {
      try {
        await call(
          'chat.delete',
          (token) => client.chat.delete({ token, channel: ref.channel, ts: ref.ts }),
          callOptions?.signal,
        );
        return { alreadyDeleted: false };
      } catch (error) {
        if (error instanceof AlreadyDeleted) return { alreadyDeleted: true };
        throw error;
      }
    },
    updateMessage(ref: SlackMessageRef, update: SlackMessageUpdate) {
      return call('chat.update', async (token) => {
        const result = await client.chat.update({
          token,
          channel: ref.channel,
          ts: ref.ts,
          text: update.text,
          ...(update.blocks ? { blocks: [...update.blocks] } : {}),
        });
        return { channel: result.channel ?? ref.channel, ts: result.ts ?? ref.ts };
      });
    },
    async openModal(triggerId: string, view: SlackModalView) {
      await call('views.open', (token) =>
        // The view's shape is Slack's to validate; aios builds it in functions/approvals/slack/blocks.ts.
        client.views.open({
          token,
          trigger_id: triggerId,
          view: view as unknown as ViewsOpenArguments['view'],
        }),
      );
    },
  };
}
