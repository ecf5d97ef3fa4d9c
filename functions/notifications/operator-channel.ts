import { alertText, type OperatorChannel } from '../core/operator-alerts.ts';
import type { EmailTransport } from '../core/ports/email-transport.ts';
import type { SlackTransport } from '../core/ports/slack-transport.ts';

// The operator's channel for alerts, over the same transports the connectors use: Slack's Web
// API or the local Slack outbox, SES or the local .eml outbox.

export function slackOperatorChannel(transport: SlackTransport, channel: string): OperatorChannel {
  return {
    name: `Slack ${channel}`,
    async send(alert, key) {
      await transport.postMessage({
        channel,
        text: alertText(alert),
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: alert.title.slice(0, 150) } },
          { type: 'section', text: { type: 'mrkdwn', text: alert.account.slice(0, 3000) } },
          {
            type: 'context',
            elements: [
              {
                type: 'mrkdwn',
                text: `${alert.link ? `<${alert.link}|Open the run> · ` : ''}\`aios show ${alert.runId}\``,
              },
            ],
          },
        ],
        idempotencyKey: key,
      });
    },
  };
}

export function emailOperatorChannel(
  transport: EmailTransport,
  addresses: { from: string; to: readonly string[] },
): OperatorChannel {
  return {
    name: `email to ${addresses.to.join(', ')}`,
    async send(alert, key) {
      await transport.send({
        from: addresses.from,
        to: addresses.to,
        subject: `[aios] ${alert.title}`,
        text: alertText(alert),
        idempotencyKey: key,
      });
    },
  };
}

/** Slack when it is configured, else email; neither configured is a configuration error. */
export function operatorChannel(options: {
  slack?: { transport: SlackTransport; channel: string };
  email?: { transport: EmailTransport; from: string; to: readonly string[] };
}): OperatorChannel {
  if (options.slack) return slackOperatorChannel(options.slack.transport, options.slack.channel);
  if (options.email && options.email.to.length > 0)
    return emailOperatorChannel(options.email.transport, options.email);
  throw new Error('operator alerts need a Slack channel or an email address to go to');
}
