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

/** How a Web API call failed (the codes the official @slack/web-api client uses for the same cases). */
export const SlackErrorCode = {
  RequestError: 'slack_webapi_request_error',
  HTTPError: 'slack_webapi_http_error',
  PlatformError: 'slack_webapi_platform_error',
  RateLimitedError: 'slack_webapi_rate_limited_error',
} as const;

class AlreadyDeleted extends Error {}

interface SlackErrorShape {
  code?: string;
  data?: { error?: string };
  retryAfter?: number;
  statusCode?: number;
  original?: Error;
  message?: string;
}

/** A failed Web API call, shaped as the official client's errors are. Holds no token. */
class SlackCallError extends Error implements SlackErrorShape {
  constructor(
    method: string,
    readonly code: (typeof SlackErrorCode)[keyof typeof SlackErrorCode],
    details: Omit<SlackErrorShape, 'code' | 'message'>,
  ) {
    super(`Slack ${method}: ${code}`);
    this.name = 'SlackCallError';
    Object.assign(this, details);
  }
}

/**
 * Rate limiting, 5xx and network failures are transient; `ok: false` answers (channel_not_found,
 * not_in_channel, invalid_auth, invalid_blocks, ...) are permanent and name Slack's code. The
 * underlying error is not chained as the cause: a client's request details may carry the token.
 */
export function slackErrorToConnectorError(
  method: string,
  error: unknown,
): TransientConnectorError | PermanentConnectorError | undefined {
  const e = (error ?? {}) as SlackErrorShape;
  switch (e.code) {
    case SlackErrorCode.RateLimitedError:
      return new TransientConnectorError(`Slack ${method} was rate limited; retry after ${e.retryAfter}s`);
    case SlackErrorCode.HTTPError: {
      const status = e.statusCode ?? 0;
      const message = `Slack ${method} answered HTTP ${status}`;
      return status === 429 || status >= 500
        ? new TransientConnectorError(message)
        : new PermanentConnectorError(message);
    }
    case SlackErrorCode.RequestError:
      return new TransientConnectorError(
        `Slack ${method} did not answer: ${e.original?.message ?? e.message ?? 'request failed'}`,
      );
    case SlackErrorCode.PlatformError: {
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

type WebApiAnswer = { ok?: boolean; error?: string; channel?: string; ts?: string };

/**
 * Slack's Web API over `fetch`, as the official client calls it (a form post with the bot token as
 * bearer), without the client: its 60 KiB with p-queue and retry were a fifth of every bundle that
 * can send a Slack message, for four methods. Never retries and rejects rate-limited calls at once:
 * retries belong to the orchestrator, which has the intent. chat.postMessage has no idempotency key,
 * so this transport does not dedupe; the intent's key travels as message metadata so a human can
 * find the message an intent posted.
 */
export function createWebApiSlackTransport(options: WebApiSlackTransportOptions): SlackTransport {
  const base = options.slackApiUrl ?? 'https://slack.com/api/';
  const baseUrl = base.endsWith('/') ? base : `${base}/`;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function post(
    method: string,
    token: string,
    fields: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<WebApiAnswer> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields))
      if (value !== undefined) body.set(name, typeof value === 'string' ? value : JSON.stringify(value));
    const deadline = AbortSignal.timeout(timeoutMs);
    let answer: WebApiAnswer;
    try {
      const response = await fetch(`${baseUrl}${method}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        },
        body,
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      });
      if (response.status === 429) {
        await response.body?.cancel();
        throw new SlackCallError(method, SlackErrorCode.RateLimitedError, {
          retryAfter: Number(response.headers.get('retry-after') ?? 0),
        });
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new SlackCallError(method, SlackErrorCode.HTTPError, { statusCode: response.status });
      }
      answer = (await response.json()) as WebApiAnswer;
    } catch (error) {
      if (error instanceof SlackCallError) throw error;
      throw new SlackCallError(method, SlackErrorCode.RequestError, { original: error as Error });
    }
    if (answer.ok !== true)
      throw new SlackCallError(method, SlackErrorCode.PlatformError, {
        data: { error: answer.error ?? 'unknown_error' },
      });
    return answer;
  }

  async function call(
    method: string,
    fields: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<WebApiAnswer> {
    const token = await options.getToken();
    try {
      signal?.throwIfAborted();
      return await post(method, token, fields, signal);
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
    async postMessage(message: SlackMessage, callOptions?: CallOptions) {
      const result = await call(
        'chat.postMessage',
        {
          channel: message.channel,
          text: message.text,
          blocks: message.blocks,
          thread_ts: message.threadTs,
          metadata: {
            event_type: 'aios_action',
            event_payload: { idempotency_key: message.idempotencyKey },
          },
        },
        callOptions?.signal,
      );
      if (!result.channel || !result.ts) {
        throw new PermanentConnectorError('Slack chat.postMessage answered ok without a channel and ts');
      }
      return { channel: result.channel, ts: result.ts };
    },
    async deleteMessage(ref: SlackMessageRef, callOptions?: CallOptions) {
      try {
        await call('chat.delete', { channel: ref.channel, ts: ref.ts }, callOptions?.signal);
        return { alreadyDeleted: false };
      } catch (error) {
        if (error instanceof AlreadyDeleted) return { alreadyDeleted: true };
        throw error;
      }
    },
    async updateMessage(ref: SlackMessageRef, update: SlackMessageUpdate) {
      const result = await call('chat.update', {
        channel: ref.channel,
        ts: ref.ts,
        text: update.text,
        blocks: update.blocks,
      });
      return { channel: result.channel ?? ref.channel, ts: result.ts ?? ref.ts };
    },
    async openModal(triggerId: string, view: SlackModalView) {
      // The view's shape is Slack's to validate; aios builds it in functions/approvals/slack/blocks.ts.
      await call('views.open', { trigger_id: triggerId, view });
    },
  };
}
