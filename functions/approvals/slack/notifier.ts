import { systemClock } from '../../adapters/system-clock.ts';
import type { Approval } from '../../core/approvals/approval.ts';
import type { SlackMessageRef, SlackTransport } from '../../core/ports/slack-transport.ts';
import type { Clock } from '../../core/ports.ts';
import { approvalDecidedMessage, approvalReminderMessage, approvalRequestMessage } from './blocks.ts';
import { SlackTransportCapabilityError } from './errors.ts';

export interface SlackApprovalNotifierOptions {
  /** The Web API transport on AWS, the file outbox locally. */
  transport: SlackTransport;
  /** Where requests are posted: a conversation id (C0123ABCD) or a #name. */
  channel: string;
  clock?: Clock;
}

/** How the approval service talks to Slack. */
export interface SlackApprovalNotifier {
  /** Posts the request with its buttons; returns where, to be kept on the record as `slackMessage`. */
  notify(approval: Approval): Promise<SlackMessageRef>;
  /** Posts a reminder, with the same buttons, in the request's thread (or the channel, if there is none). */
  remind(approval: Approval): Promise<SlackMessageRef>;
  /** Replaces the request's buttons with who decided and when; false when it was never posted. */
  showDecision(approval: Approval): Promise<{ updated: boolean }>;
}

/**
 * The Slack side of an approval. Each post carries an idempotency key derived from the approval
 * (the outbox posts a key once), and `notify` of a request already posted returns its message.
 */
export function createSlackApprovalNotifier(options: SlackApprovalNotifierOptions): SlackApprovalNotifier {
  const { transport, channel } = options;
  const clock = options.clock ?? systemClock;
  return {
    async notify(approval) {
      if (approval.slackMessage) return approval.slackMessage;
      const message = approvalRequestMessage(approval);
      return transport.postMessage({
        channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
        idempotencyKey: `approval-${approval.approvalId}-request`,
      });
    },
    async remind(approval) {
      const message = approvalReminderMessage(approval, clock.now());
      return transport.postMessage({
        channel: approval.slackMessage?.channel ?? channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
        idempotencyKey: `approval-${approval.approvalId}-reminder-${approval.escalationStage}`,
        ...(approval.slackMessage ? { threadTs: approval.slackMessage.ts } : {}),
      });
    },
    async showDecision(approval) {
      if (!approval.slackMessage) return { updated: false };
      if (!transport.updateMessage) {
        throw new SlackTransportCapabilityError('the Slack transport cannot update messages (chat.update)');
      }
      const message = approvalDecidedMessage(approval);
      await transport.updateMessage(approval.slackMessage, message);
      return { updated: true };
    },
  };
}
