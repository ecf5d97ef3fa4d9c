import type { Approval } from '../core/approvals/approval.ts';
import type { ApprovalNotifier } from '../core/approvals/service.ts';

/** The Slack side of an approval, as the Slack channel module provides it. */
export interface SlackApprovalChannel {
  notify(approval: Approval): Promise<{ channel: string; ts: string }>;
  remind(approval: Approval): Promise<unknown>;
  showDecision(approval: Approval): Promise<unknown>;
}

/** The email side: one magic link per approver, bound to that address. */
export interface EmailApprovalChannel {
  notify(approval: Approval, approverEmail: string): Promise<{ link: string }>;
}

/**
 * Sends an approval request on the workflow's channels: the Slack message, and a magic link by
 * email to each approver. `onLink` lets the local runtime print the links for a newcomer.
 */
export function createApprovalNotifier(options: {
  slack?: SlackApprovalChannel;
  email?: EmailApprovalChannel;
  onLink?: (approval: Approval, email: string, link: string) => void;
}): ApprovalNotifier {
  async function emailAll(approval: Approval): Promise<string[]> {
    if (!options.email) return [];
    const links: string[] = [];
    for (const address of approval.approvers.emails) {
      const { link } = await options.email.notify(approval, address);
      options.onLink?.(approval, address, link);
      links.push(link);
    }
    return links;
  }

  return {
    async notify(approval) {
      const parts: string[] = [];
      let slackMessage: { channel: string; ts: string } | undefined;
      if (approval.channels.includes('slack') && options.slack) {
        slackMessage = await options.slack.notify(approval);
        parts.push(`Slack message in ${slackMessage.channel}`);
      }
      const links = approval.channels.includes('email') ? await emailAll(approval) : [];
      if (links.length > 0) parts.push(`magic links emailed to ${approval.approvers.emails.join(', ')}`);
      return {
        ...(slackMessage ? { slackMessage } : {}),
        links,
        detail: parts.length > 0 ? parts.join('; ') : 'no channel is configured, so only the inbox shows it',
      };
    },
    async remind(approval) {
      if (!options.slack) return 'no Slack channel to remind on';
      await options.slack.remind(approval);
      return 'Slack reminder posted';
    },
    async escalate(approval) {
      const links = await emailAll(approval);
      return links.length > 0
        ? `magic links emailed to ${approval.approvers.emails.join(', ')}`
        : 'no approver email to escalate to';
    },
    async showDecision(approval) {
      if (approval.slackMessage && options.slack) await options.slack.showDecision(approval);
    },
  };
}
