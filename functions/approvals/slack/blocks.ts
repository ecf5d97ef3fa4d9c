import type { Approval, Decision } from '../../core/approvals/approval.ts';
import type { SlackBlock, SlackMessageUpdate, SlackModalView } from '../../core/ports/slack-transport.ts';

/** The `action_id`s of the request's buttons; the interactions handler routes on them. */
export const APPROVE_ACTION_ID = 'aios_approve';
export const REJECT_ACTION_ID = 'aios_reject';
export const EDIT_ACTION_ID = 'aios_edit';
/** The edit modal's `callback_id`; its `private_metadata` is the approval id and nothing else. */
export const EDIT_CALLBACK_ID = 'aios_edit_submit';
/** The `action_id` of every input in the edit modal; the block id names the parameter. */
export const EDIT_INPUT_ACTION_ID = 'value';

const DECISION_BLOCK_ID = 'aios_decision';
const PARAM_BLOCK_PREFIX = 'param:';
/** Slack's limits: 3000 characters in a section's text, 150 in a header, 3000 in a text input. */
const SECTION_MAX = 3000;
const PARAMS_MAX = 2500;
const HEADER_MAX = 150;
const INPUT_MAX = 3000;
const BLOCK_ID_MAX = 255;

/** Slack's mrkdwn treats only these three as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function truncate(text: string, max: number, marker = '… (truncated)'): string {
  return text.length <= max ? text : `${text.slice(0, max - marker.length)}${marker}`;
}

/** A Slack date token: shown in the reader's time zone, with the ISO time as the fallback. */
export function slackDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return escapeMrkdwn(iso);
  const fallback = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} at {time}|${fallback}>`;
}

const plain = (text: string) => ({ type: 'plain_text', text, emoji: true });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const section = (text: string): SlackBlock => ({
  type: 'section',
  text: mrkdwn(truncate(text, SECTION_MAX)),
});
const header = (text: string): SlackBlock => ({ type: 'header', text: plain(truncate(text, HEADER_MAX)) });

/** JSON in a code block, truncated, with nothing that could close the block early. */
function codeBlock(value: unknown): string {
  const json = JSON.stringify(value, null, 2) ?? 'null';
  return `\`\`\`${escapeMrkdwn(truncate(json, PARAMS_MAX)).replaceAll('```', '`\u200b``')}\`\`\``;
}

const RISK_LABEL: Record<Approval['risk'], string> = {
  read: 'read',
  write: 'write',
  'external-message': 'external message',
  money: ':moneybag: money',
};

function factsBlock(approval: Approval): SlackBlock {
  return {
    type: 'section',
    fields: [
      mrkdwn(`*Risk*\n${RISK_LABEL[approval.risk]}`),
      mrkdwn(`*Action*\n\`${escapeMrkdwn(approval.action.type)}\``),
      mrkdwn(`*Workflow*\n${escapeMrkdwn(approval.workflow)}`),
      mrkdwn(`*Expires*\n${slackDate(approval.expiresAt)}`),
    ],
  };
}

function contextBlock(approval: Approval): SlackBlock {
  const approvers = approval.approvers.slackUserIds.map((id) => `<@${id}>`).join(' ');
  const parts = [
    `Run \`${escapeMrkdwn(approval.runId)}\`, step \`${escapeMrkdwn(approval.stepId)}\``,
    `approval \`${escapeMrkdwn(approval.approvalId)}\``,
    ...(approvers ? [`approvers: ${approvers}`] : []),
  ];
  return { type: 'context', elements: [mrkdwn(truncate(parts.join(' · '), SECTION_MAX))] };
}

/** Only the approval id travels in a button: never the task token, never anything to trust. */
function decisionButtons(approval: Approval): SlackBlock {
  const button = (text: string, actionId: string, style?: 'primary' | 'danger') => ({
    type: 'button',
    text: plain(text),
    action_id: actionId,
    value: approval.approvalId,
    ...(style ? { style } : {}),
  });
  return {
    type: 'actions',
    block_id: DECISION_BLOCK_ID,
    elements: [
      button('Approve', APPROVE_ACTION_ID, 'primary'),
      button('Reject', REJECT_ACTION_ID, 'danger'),
      ...(approval.editable.length > 0 ? [button('Edit, then approve', EDIT_ACTION_ID)] : []),
    ],
  };
}

/** The Block Kit request: what the agent proposes, its risk, the action and parameters, the expiry, the buttons. */
export function approvalRequestMessage(approval: Approval): SlackMessageUpdate {
  return {
    text: truncate(`Approval needed: ${escapeMrkdwn(approval.summary)}`, SECTION_MAX),
    blocks: [
      header(`Approval needed: ${approval.action.type}`),
      section(escapeMrkdwn(approval.summary)),
      factsBlock(approval),
      section(`*Parameters*\n${codeBlock(approval.action.params)}`),
      contextBlock(approval),
      decisionButtons(approval),
    ],
  };
}

function decider(decision: Decision): string {
  if (decision.channel === 'slack' && /^[UW][A-Z0-9]+$/.test(decision.by)) return `<@${decision.by}>`;
  if (decision.by === 'operator') return 'the operator';
  return escapeMrkdwn(decision.by);
}

const CHANNEL_LABEL: Record<Decision['channel'], string> = {
  slack: 'Slack',
  email: 'email link',
  api: 'the API',
  cli: 'the CLI',
};

/**
 * One line on how the request ended, in Slack mrkdwn: "Approved by <@U…> at … (Slack)",
 * "Rejected by … at …: note", "Expired at …". Undefined while it is pending.
 */
export function decisionSentence(approval: Approval): string | undefined {
  const { decision } = approval;
  if (decision) {
    const verb = decision.outcome === 'approved' ? 'Approved' : 'Rejected';
    const edited = decision.editedParams ? ' with edits' : '';
    const note = decision.note ? `: ${escapeMrkdwn(decision.note)}` : '';
    return `${verb}${edited} by ${decider(decision)} at ${slackDate(decision.at)} (${CHANNEL_LABEL[decision.channel]})${note}`;
  }
  if (approval.status === 'WITHDRAWN') {
    return 'The run was cancelled: this request was withdrawn and decides nothing';
  }
  if (approval.status === 'EXPIRED') {
    return `Expired at ${slackDate(approval.expiresAt)} without a decision; the action was not executed`;
  }
  return undefined;
}

const STATUS_HEADER: Record<Approval['status'], string> = {
  PENDING: 'Approval needed',
  APPROVED: '✅ Approved',
  REJECTED: '❌ Rejected',
  EXPIRED: '⌛ Expired',
  WITHDRAWN: '🚫 Withdrawn: the run was cancelled',
};

/** The request after its decision: no buttons, and who decided, when, and why. */
export function approvalDecidedMessage(approval: Approval): SlackMessageUpdate {
  const sentence = decisionSentence(approval) ?? 'Waiting for a decision';
  const edited = approval.decision?.editedParams;
  return {
    text: truncate(`${sentence}: ${escapeMrkdwn(approval.summary)}`, SECTION_MAX),
    blocks: [
      header(`${STATUS_HEADER[approval.status]}: ${approval.action.type}`),
      section(escapeMrkdwn(approval.summary)),
      factsBlock(approval),
      section(`*Parameters*\n${codeBlock(approval.action.params)}`),
      ...(edited ? [section(`*Edited before approval*\n${codeBlock(edited)}`)] : []),
      section(sentence),
      contextBlock(approval),
    ],
  };
}

/** A nudge for a request still waiting (posted in the request's thread), with the same buttons. */
export function approvalReminderMessage(approval: Approval, now: Date): SlackMessageUpdate {
  const minutes = Math.max(0, Math.round((now.getTime() - new Date(approval.createdAt).getTime()) / 60_000));
  const line = `:alarm_clock: *Reminder:* this request has waited ${minutes} min for a decision; it expires ${slackDate(approval.expiresAt)}.`;
  return {
    text: truncate(`Reminder: approval still needed: ${escapeMrkdwn(approval.summary)}`, SECTION_MAX),
    blocks: [section(line), section(escapeMrkdwn(approval.summary)), decisionButtons(approval)],
  };
}

/** The block id of a parameter's input in the edit modal. */
export const paramBlockId = (name: string) => `${PARAM_BLOCK_PREFIX}${name}`;

/** A string edits as text; anything else as JSON. */
const asInputText = (value: unknown) =>
  typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? '');

/** The editable parameters a modal can hold (a block id and an input have length limits). */
function editableInModal(approval: Approval): string[] {
  return approval.editable.filter(
    (name) =>
      paramBlockId(name).length <= BLOCK_ID_MAX &&
      asInputText(approval.action.params[name]).length <= INPUT_MAX,
  );
}

/** views.open payload for "Edit, then approve": one text input per editable parameter, prefilled. */
export function approvalEditModal(approval: Approval): SlackModalView {
  const inputs = editableInModal(approval).map((name) => {
    const current = asInputText(approval.action.params[name]);
    return {
      type: 'input',
      block_id: paramBlockId(name),
      label: plain(truncate(name, 2000)),
      hint: plain(typeof approval.action.params[name] === 'string' ? 'Text' : 'JSON (or plain text)'),
      element: {
        type: 'plain_text_input',
        action_id: EDIT_INPUT_ACTION_ID,
        multiline: current.includes('\n') || current.length > 60,
        max_length: INPUT_MAX,
        ...(current ? { initial_value: current } : {}),
      },
    };
  });
  return {
    type: 'modal',
    callback_id: EDIT_CALLBACK_ID,
    private_metadata: approval.approvalId,
    title: plain('Edit, then approve'),
    submit: plain('Approve'),
    close: plain('Cancel'),
    blocks: [section(escapeMrkdwn(approval.summary)), ...inputs],
  };
}

/** A modal that only says something (title up to 24 characters), with a Close button. */
export function noticeModal(title: string, text: string): SlackModalView {
  return {
    type: 'modal',
    title: plain(truncate(title, 24, '…')),
    close: plain('Close'),
    blocks: [section(text)],
  };
}

/** What the edit modal turns into when the request was decided (or expired) meanwhile. */
export function approvalClosedModal(approval: Approval): SlackModalView {
  const sentence = decisionSentence(approval) ?? 'This request can no longer be decided here.';
  return noticeModal('Already decided', `${escapeMrkdwn(approval.summary)}\n\n${sentence}`);
}

/** `view.state.values` as Slack sends it: block id → action id → the input's state. */
export type SlackViewStateValues = Record<string, Record<string, { type: string; value?: string | null }>>;

/**
 * The edited parameters from a submitted modal: only the approval's editable ones, each parsed
 * as JSON where it parses (a string stays a string when it was one), otherwise kept as text.
 * Also returns the block id of each, so an error can be shown next to its field.
 */
export function editedParamsFromView(
  approval: Approval,
  values: SlackViewStateValues,
): { params: Record<string, unknown>; blockIds: Record<string, string> } {
  // No prototype: an editable name such as `__proto__` stays a key, which the service then refuses.
  const params = Object.create(null) as Record<string, unknown>;
  const blockIds: Record<string, string> = {};
  for (const name of approval.editable) {
    const blockId = paramBlockId(name);
    const raw = values[blockId]?.[EDIT_INPUT_ACTION_ID]?.value;
    if (raw === undefined || raw === null) continue;
    blockIds[name] = blockId;
    params[name] = typeof approval.action.params[name] === 'string' ? raw : parseLoose(raw);
  }
  return { params, blockIds };
}

function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
