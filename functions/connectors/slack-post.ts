import * as z from 'zod';
import type { Connector } from '../core/connector.ts';
import { lazySchema } from '../core/lazy-schema.ts';
import type { SlackTransport } from '../core/ports/slack-transport.ts';

const SlackChannel = z
  .string()
  .regex(
    /^(?:[CGD][A-Z0-9]{8,}|#[a-z0-9][a-z0-9._-]{0,79})$/,
    'must be a conversation id (C0123ABCD) or a #channel-name',
  );

/** Slack's limits: 40,000 characters of text and 50 blocks per message. */
export const SlackPostParams = lazySchema(() =>
  z.object({
    channel: SlackChannel,
    text: z.string().min(1).max(40_000),
    blocks: z
      .array(z.looseObject({ type: z.string().min(1) }))
      .max(50)
      .optional(),
  }),
);

export const SlackDeleteParams = lazySchema(() =>
  z.object({
    channel: SlackChannel,
    ts: z.string().regex(/^\d+\.\d+$/, 'must be a Slack message timestamp such as 1700000000.123456'),
  }),
);

/**
 * Posts a message. It can be undone by `slack.delete` with the channel and ts it returns. Slack
 * takes no idempotency key, so unless the transport dedupes, the gateway hands an attempt with
 * an unknown outcome to the operator instead of posting again.
 */
export function slackPostConnector(transport: SlackTransport): Connector<typeof SlackPostParams> {
  return {
    type: 'slack.post',
    paramsSchema: SlackPostParams,
    risk: 'external-message',
    undoable: true,
    idempotent: transport.dedupes,
    async execute(params, context) {
      const posted = await transport.postMessage(
        {
          channel: params.channel,
          text: params.text,
          ...(params.blocks ? { blocks: params.blocks } : {}),
          idempotencyKey: context.idempotencyKey,
        },
        { signal: context.signal },
      );
      return { channel: posted.channel, ts: posted.ts };
    },
  };
}

/** Deletes a posted message: the compensation of `slack.post`. Deleting twice is one deletion. */
export function slackDeleteConnector(transport: SlackTransport): Connector<typeof SlackDeleteParams> {
  return {
    type: 'slack.delete',
    paramsSchema: SlackDeleteParams,
    risk: 'external-message',
    undoable: false,
    idempotent: true,
    async execute(params, context) {
      const { alreadyDeleted } = await transport.deleteMessage(
        { channel: params.channel, ts: params.ts },
        { signal: context.signal },
      );
      return { channel: params.channel, ts: params.ts, deleted: true, alreadyDeleted };
    },
  };
}
