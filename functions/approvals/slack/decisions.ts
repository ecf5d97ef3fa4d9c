import type { Approval, Approvals, DecideResult } from '../../core/approvals/approval.ts';
import { ValidationError } from '../../core/errors.ts';
import { ApprovalIdSchema } from '../../core/ids.ts';
import type { SlackBlock, SlackMessageRef, SlackModalView } from '../../core/ports/slack-transport.ts';
import { parseOrThrow } from '../../core/validation.ts';
import {
  APPROVE_ACTION_ID,
  approvalClosedModal,
  approvalDecidedMessage,
  approvalEditModal,
  decisionSentence,
  EDIT_ACTION_ID,
  EDIT_CALLBACK_ID,
  editedParamsFromView,
  noticeModal,
  REJECT_ACTION_ID,
} from './blocks.ts';
import {
  type AckBudget,
  ack,
  type BlockActions,
  clickedMessage,
  ephemeral,
  modalErrors,
  modalUpdate,
  plainWords,
  type SlackAnswer,
  type ViewSubmission,
  within,
} from './protocol.ts';

// What a click or an edit in Slack decides, through the approval service: who may decide, what is
// recorded, what the messages then say. The Slack protocol around it is in protocol.ts.

/** What the handler needs from Slack's Web API: chat.update and views.open. */
export interface SlackInteractionClient {
  updateMessage(channel: string, ts: string, text: string, blocks: readonly SlackBlock[]): Promise<void>;
  openModal(triggerId: string, view: SlackModalView): Promise<void>;
}

/** The subset of a Powertools `Logger` the handler uses. */
export interface InteractionsLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** What the decision flows work with. */
export interface DecisionFlow {
  approvals: Approvals;
  slack: SlackInteractionClient;
  /** Slack user ids that may decide this approval. */
  allowedUserIds: (approval: Approval) => readonly string[];
  log: InteractionsLogger;
}

/** The text a user who may not decide sees; nothing is recorded for them. */
export const NOT_ALLOWED_TEXT = 'You are not allowed to decide this request';
const NOT_FOUND_TEXT = 'This approval request was not found; it may have been removed.';
const SLOW_TEXT =
  'Your decision is still being recorded. If this message does not change within a minute, press the button again.';
const AIOS_BUTTONS = [APPROVE_ACTION_ID, REJECT_ACTION_ID, EDIT_ACTION_ID];

/** Approve, Reject or "Edit, then approve" pressed on an approval message. */
export async function decideFromButton(
  flow: DecisionFlow,
  payload: BlockActions,
  budget: AckBudget,
): Promise<SlackAnswer> {
  const [action] = payload.actions;
  if (!action || !AIOS_BUTTONS.includes(action.action_id)) return ack(); // not one of aios's buttons
  const approvalId = parseOrThrow(ApprovalIdSchema, action.value, 'actions.0.value');
  const userId = payload.user.id;
  const clicked = clickedMessage(payload);
  const context = { approvalId, userId, action: action.action_id };

  const found = await within(budget, 'reading the approval', flow.approvals.get(approvalId));
  if (!found.done) return ephemeral(SLOW_TEXT);
  const approval = found.value;
  if (!approval) {
    flow.log.info('Slack action on an unknown approval', context);
    return ephemeral(NOT_FOUND_TEXT);
  }
  if (!mayDecide(flow, approval, userId)) {
    flow.log.warn('Slack user is not allowed to decide this approval; nothing recorded', context);
    return ephemeral(NOT_ALLOWED_TEXT);
  }
  if (action.action_id === EDIT_ACTION_ID) {
    return openEditor(flow, approval, payload.trigger_id, clicked, budget, context);
  }
  const outcome = action.action_id === APPROVE_ACTION_ID ? 'approved' : 'rejected';
  const decided = await within(
    budget,
    'deciding the approval',
    flow.approvals.decide(approvalId, { outcome, channel: 'slack', by: userId }),
  );
  if (!decided.done) return ephemeral(SLOW_TEXT);
  return answerButtonDecision(flow, decided.value, clicked, budget, context);
}

/** "Edit, then approve": opens the editor on a pending approval, or says why not. */
async function openEditor(
  flow: DecisionFlow,
  approval: Approval,
  triggerId: string | undefined,
  clicked: SlackMessageRef | undefined,
  budget: AckBudget,
  context: Record<string, unknown>,
): Promise<SlackAnswer> {
  if (approval.status !== 'PENDING') {
    await showDecision(flow, approval, clicked, budget);
    return ephemeral(plainWords(decisionSentence(approval) ?? 'This request is already decided.'));
  }
  if (approval.editable.length === 0) return ephemeral('This request has nothing to edit.');
  if (!triggerId) throw new ValidationError('trigger_id: Slack sent no trigger id to open the editor');
  const opened = await within(
    budget,
    'views.open',
    flow.slack.openModal(triggerId, approvalEditModal(approval)),
  ).catch((error: unknown) => {
    flow.log.warn('could not open the edit modal', { ...context, error: (error as Error).message });
    return undefined;
  });
  if (!opened?.done) return ephemeral('Could not open the editor in time; press "Edit, then approve" again.');
  flow.log.info('opened the edit modal', context);
  return ack();
}

async function answerButtonDecision(
  flow: DecisionFlow,
  result: DecideResult,
  clicked: SlackMessageRef | undefined,
  budget: AckBudget,
  context: Record<string, unknown>,
): Promise<SlackAnswer> {
  if (result.ok) {
    flow.log.info('approval decided from Slack', { ...context, status: result.approval.status });
    await showDecision(flow, result.approval, clicked, budget);
    return ack();
  }
  flow.log.info('Slack decision not recorded', { ...context, reason: result.reason });
  switch (result.reason) {
    case 'not-found':
      return ephemeral(NOT_FOUND_TEXT);
    case 'already-decided':
    case 'expired':
      // A second click anywhere: the message now says who decided and when.
      await showDecision(flow, result.approval, clicked, budget);
      return ephemeral(result.message);
    case 'not-allowed':
      return ephemeral(NOT_ALLOWED_TEXT);
    case 'invalid-edit':
      return ephemeral(result.message);
  }
}

/** The edit modal submitted: approves with the edited parameters, or shows what is wrong in the modal. */
export async function decideFromEditModal(
  flow: DecisionFlow,
  payload: ViewSubmission,
  budget: AckBudget,
): Promise<SlackAnswer> {
  if (payload.view.callback_id !== EDIT_CALLBACK_ID) return ack();
  const approvalId = parseOrThrow(ApprovalIdSchema, payload.view.private_metadata, 'view.private_metadata');
  const userId = payload.user.id;
  const context = { approvalId, userId, action: EDIT_CALLBACK_ID };
  const firstBlock = Object.keys(payload.view.state.values)[0];
  const errorOn = (blockId: string | undefined, message: string) =>
    blockId ? modalErrors({ [blockId]: message }) : modalUpdate(noticeModal('Not recorded', message));

  const found = await within(budget, 'reading the approval', flow.approvals.get(approvalId));
  if (!found.done) return errorOn(firstBlock, SLOW_TEXT);
  const approval = found.value;
  if (!approval) return modalUpdate(noticeModal('Not found', NOT_FOUND_TEXT));
  if (!mayDecide(flow, approval, userId)) {
    flow.log.warn('Slack user is not allowed to decide this approval; nothing recorded', context);
    return errorOn(firstBlock, NOT_ALLOWED_TEXT);
  }
  if (approval.status !== 'PENDING') {
    await showDecision(flow, approval, undefined, budget);
    return modalUpdate(approvalClosedModal(approval));
  }

  const { params, blockIds } = editedParamsFromView(approval, payload.view.state.values);
  const decided = await within(
    budget,
    'deciding the approval',
    flow.approvals.decide(approvalId, {
      outcome: 'approved',
      channel: 'slack',
      by: userId,
      ...(Object.keys(params).length > 0 ? { editedParams: params } : {}),
    }),
  );
  if (!decided.done) return errorOn(firstBlock, SLOW_TEXT);
  const result = decided.value;
  if (result.ok) {
    flow.log.info('approval decided from Slack with edits', { ...context, edited: Object.keys(params) });
    await showDecision(flow, result.approval, undefined, budget);
    return ack(); // closes the modal
  }
  flow.log.info('Slack decision not recorded', { ...context, reason: result.reason });
  switch (result.reason) {
    case 'not-found':
      return modalUpdate(noticeModal('Not found', NOT_FOUND_TEXT));
    case 'already-decided':
    case 'expired':
      await showDecision(flow, result.approval, undefined, budget);
      return modalUpdate(approvalClosedModal(result.approval));
    case 'not-allowed':
      return errorOn(firstBlock, NOT_ALLOWED_TEXT);
    case 'invalid-edit': {
      // Show the message beside the field it names, or the first field.
      const named = Object.keys(blockIds).find((name) => result.message.includes(name));
      return errorOn((named && blockIds[named]) ?? Object.values(blockIds)[0] ?? firstBlock, result.message);
    }
  }
}

const mayDecide = (flow: DecisionFlow, approval: Approval, userId: string) =>
  flow.allowedUserIds(approval).includes(userId);

/** Shows the decision on the clicked message and on the request's own message; failures only logged. */
async function showDecision(
  flow: DecisionFlow,
  approval: Approval,
  clicked: SlackMessageRef | undefined,
  budget: AckBudget,
): Promise<void> {
  const refs = new Map<string, SlackMessageRef>();
  for (const ref of [clicked, approval.slackMessage]) if (ref) refs.set(`${ref.channel}/${ref.ts}`, ref);
  if (refs.size === 0) return;
  const message = approvalDecidedMessage(approval);
  const updates = [...refs.values()].map((ref) =>
    within(
      budget,
      'chat.update',
      flow.slack.updateMessage(ref.channel, ref.ts, message.text, message.blocks ?? []),
    ).catch((error: unknown) => {
      flow.log.warn('could not update the approval message', {
        approvalId: approval.approvalId,
        error: (error as Error).message,
      });
    }),
  );
  await Promise.all(updates);
}
