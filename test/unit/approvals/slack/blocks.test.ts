import { describe, expect, it } from 'vitest';
import {
  APPROVE_ACTION_ID,
  approvalDecidedMessage,
  approvalEditModal,
  approvalReminderMessage,
  approvalRequestMessage,
  EDIT_ACTION_ID,
  EDIT_CALLBACK_ID,
  editedParamsFromView,
  paramBlockId,
  REJECT_ACTION_ID,
} from '../../../../functions/approvals/slack/blocks.ts';
import type { Approval } from '../../../../functions/core/approvals/approval.ts';
import type { SlackBlock } from '../../../../functions/core/ports/slack-transport.ts';
import { APPROVER, approvalFixture } from './fixtures.ts';

const TASK_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAf-task-token-secret';

/** The stored record may well carry the task token beside the approval; it must never reach Slack. */
const withTaskToken = (approval: Approval) => ({ ...approval, taskToken: TASK_TOKEN }) as Approval;

type Button = { type: 'button'; action_id: string; value: string; style?: string; text: { text: string } };
const buttonsOf = (blocks: readonly SlackBlock[] | undefined): Button[] =>
  (blocks ?? []).filter((b) => b.type === 'actions').flatMap((b) => b.elements as Button[]);

describe('the approval request message', () => {
  it('has a header, the summary, the risk, the action and its params, the expiry and the buttons', () => {
    const message = approvalRequestMessage(approvalFixture());
    const types = message.blocks?.map((b) => b.type);
    expect(types?.[0]).toBe('header');
    expect(types).toContain('actions');
    const json = JSON.stringify(message);
    // Slack's control characters in the summary are escaped, so "<billing@…>" cannot become a link.
    expect(json).toContain('Acme Studio &lt;billing@acme.example&gt;');
    expect(json).toContain(':moneybag: money');
    expect(json).toContain('`http.request`');
    expect(json).toContain('```{\\n  \\"url\\": \\"https://billing.example/invoices\\"');
    expect(json).toMatch(/<!date\^1795687200\^\{date_short_pretty\} at \{time\}\|2026-11-26 10:00 UTC>/);
    expect(message.text).toContain('Approval needed');
  });

  it('has Approve (primary), Reject (danger) and "Edit, then approve"; each value is only the approval id', () => {
    const buttons = buttonsOf(approvalRequestMessage(withTaskToken(approvalFixture())).blocks);
    expect(buttons.map((b) => [b.action_id, b.style, b.text.text])).toEqual([
      [APPROVE_ACTION_ID, 'primary', 'Approve'],
      [REJECT_ACTION_ID, 'danger', 'Reject'],
      [EDIT_ACTION_ID, undefined, 'Edit, then approve'],
    ]);
    for (const button of buttons) expect(button.value).toBe('apr-onboarding-1-3');
  });

  it('offers "Edit, then approve" only when something is editable', () => {
    const buttons = buttonsOf(approvalRequestMessage(approvalFixture({ editable: [] })).blocks);
    expect(buttons.map((b) => b.action_id)).toEqual([APPROVE_ACTION_ID, REJECT_ACTION_ID]);
  });

  it('never carries the task token, in any message or modal', () => {
    const approval = withTaskToken(approvalFixture());
    const decided = withTaskToken(
      approvalFixture({
        status: 'APPROVED',
        decision: { outcome: 'approved', channel: 'slack', by: APPROVER, at: '2026-11-25T10:05:00.000Z' },
      }),
    );
    const everything = JSON.stringify([
      approvalRequestMessage(approval),
      approvalReminderMessage(approval, new Date('2026-11-25T10:20:00.000Z')),
      approvalDecidedMessage(decided),
      approvalEditModal(approval),
    ]);
    expect(everything).not.toContain(TASK_TOKEN);
    expect(everything).not.toMatch(/taskToken/i);
  });

  it('truncates long params so the section stays within Slack limits', () => {
    const approval = approvalFixture({
      action: { type: 'http.request', params: { body: 'x'.repeat(10_000) } },
    });
    const params = approvalRequestMessage(approval).blocks?.find((b) =>
      JSON.stringify(b).includes('*Parameters*'),
    ) as unknown as { text: { text: string } };
    expect(params.text.text.length).toBeLessThanOrEqual(3000);
    expect(params.text.text).toContain('… (truncated)');
  });
});

describe('the decided message', () => {
  it('has no buttons and says who approved and when', () => {
    const message = approvalDecidedMessage(
      approvalFixture({
        status: 'APPROVED',
        decision: { outcome: 'approved', channel: 'slack', by: APPROVER, at: '2026-11-25T10:05:00.000Z' },
      }),
    );
    expect(buttonsOf(message.blocks)).toEqual([]);
    expect(JSON.stringify(message)).toContain(`Approved by <@${APPROVER}> at <!date^1795601100^`);
  });

  it('says who rejected, with the note, and shows edited params of an edited approval', () => {
    const rejected = approvalDecidedMessage(
      approvalFixture({
        status: 'REJECTED',
        decision: {
          outcome: 'rejected',
          channel: 'email',
          by: 'owner@acme.example',
          at: '2026-11-25T10:05:00.000Z',
          note: 'wrong amount',
        },
      }),
    );
    expect(JSON.stringify(rejected)).toMatch(
      /Rejected by owner@acme.example at <!date[^>]+> \(email link\): wrong amount/,
    );
    const edited = approvalDecidedMessage(
      approvalFixture({
        status: 'APPROVED',
        decision: {
          outcome: 'approved',
          channel: 'slack',
          by: APPROVER,
          at: '2026-11-25T10:05:00.000Z',
          editedParams: { amount: 1200 },
        },
      }),
    );
    expect(JSON.stringify(edited)).toContain('Approved with edits by');
    expect(JSON.stringify(edited)).toContain('\\"amount\\": 1200');
  });

  it('says when a request expired undecided', () => {
    const message = approvalDecidedMessage(approvalFixture({ status: 'EXPIRED' }));
    expect(JSON.stringify(message)).toContain('Expired at');
    expect(buttonsOf(message.blocks)).toEqual([]);
  });
});

describe('the reminder', () => {
  it('says how long the request has waited, and keeps the buttons', () => {
    const message = approvalReminderMessage(approvalFixture(), new Date('2026-11-25T10:15:00.000Z'));
    expect(JSON.stringify(message)).toContain('has waited 15 min');
    expect(buttonsOf(message.blocks).map((b) => b.action_id)).toContain(APPROVE_ACTION_ID);
  });
});

describe('the edit modal', () => {
  it('has one prefilled input per editable param, the callback id and only the approval id as metadata', () => {
    const view = approvalEditModal(withTaskToken(approvalFixture()));
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: EDIT_CALLBACK_ID,
      private_metadata: 'apr-onboarding-1-3',
    });
    const inputs = (view.blocks as SlackBlock[]).filter((b) => b.type === 'input');
    expect(inputs.map((b) => [b.block_id, (b.element as { initial_value?: string }).initial_value])).toEqual([
      [paramBlockId('amount'), '1500'],
      [paramBlockId('memo'), 'Setup fee'],
    ]);
    expect((view.title as { text: string }).text.length).toBeLessThanOrEqual(24);
  });

  it('reads edited values back: JSON where it parses, text otherwise, strings stay strings, only editable params', () => {
    const approval = approvalFixture({ editable: ['amount', 'memo', 'lines'] });
    const input = (value: string | null) => ({ value: { type: 'plain_text_input', value } });
    const { params, blockIds } = editedParamsFromView(approval, {
      [paramBlockId('amount')]: input('1200'),
      [paramBlockId('memo')]: input('42'),
      [paramBlockId('lines')]: input('[1, 2, oops'),
      [paramBlockId('url')]: input('https://evil.example'),
    });
    expect(params).toEqual({ amount: 1200, memo: '42', lines: '[1, 2, oops' });
    expect(blockIds.amount).toBe(paramBlockId('amount'));
  });
});
