import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBApprovalStore } from '../../../functions/adapters/aws/dynamodb-approval-store.ts';
import type { Approval, ApprovalEvent } from '../../../functions/core/approvals/approval.ts';
import type { ApprovalStore, Settlement } from '../../../functions/core/approvals/service.ts';
import { ConflictError } from '../../../functions/core/errors.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { approvalFixture } from './email/fakes.ts';

let db: EmbeddedDynamoDB;
let store: ApprovalStore;
let seq = 0;

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
  store = createDynamoDBApprovalStore({ client: db.client, tableName: TABLE_NAMES.state });
});
afterAll(async () => {
  await db.close();
});

const at = (minute: number) => `2026-11-25T10:${String(minute).padStart(2, '0')}:00.000Z`;
const event = (name: ApprovalEvent['event'], minute = 1): ApprovalEvent => ({
  at: at(minute),
  event: name,
  detail: name,
});
const approve = (minute = 2): Settlement => ({
  status: 'APPROVED',
  at: at(minute),
  event: event('approved', minute),
  decision: { outcome: 'approved', channel: 'api', by: 'operator', at: at(minute) },
});

async function created(overrides: Partial<Approval> = {}) {
  seq += 1;
  const approval = approvalFixture({ approvalId: `apr-store-${seq}`, ...overrides });
  await store.create(approval, `token-${seq}-a`);
  return approval;
}

describe('DynamoDB approval store: no write but a decision conflicts with a decision', () => {
  it('a history append before a decision does not make the decision fail', async () => {
    const { approvalId } = await created();
    await store.recordEvent(approvalId, event('notified'), { slackMessage: { channel: '#a', ts: '1.2' } });
    const decided = await store.settle(approvalId, approve());
    expect(decided.status).toBe('APPROVED');
    expect(decided.history.map((h) => h.event)).toEqual(['requested', 'notified', 'approved']);
    expect(decided.slackMessage).toEqual({ channel: '#a', ts: '1.2' });
  });

  it('a history append after a decision is kept and does not fail', async () => {
    const { approvalId } = await created();
    await store.settle(approvalId, approve());
    const notified = await store.recordEvent(approvalId, event('notified', 3), {
      slackMessage: { channel: '#a', ts: '1.3' },
    });
    expect(notified.status).toBe('APPROVED');
    expect(notified.decision).toMatchObject({ by: 'operator' });
    expect(notified.history.map((h) => h.event)).toEqual(['requested', 'approved', 'notified']);
  });

  it('appends, an escalation step and a decision all at once: the decision wins once, nothing is lost', async () => {
    const { approvalId } = await created();
    const writes = await Promise.allSettled([
      ...Array.from({ length: 5 }, (_, i) => store.recordEvent(approvalId, event('reminded', i))),
      store.settle(approvalId, approve()),
      store.settle(approvalId, { ...approve(), status: 'REJECTED' }),
    ]);
    expect(writes.slice(0, 5).map((w) => w.status)).toEqual(Array(5).fill('fulfilled'));
    const settlements = writes.slice(5);
    expect(settlements.filter((w) => w.status === 'fulfilled')).toHaveLength(1);
    const lost = settlements.find((w) => w.status === 'rejected');
    expect(lost?.status === 'rejected' && lost.reason).toBeInstanceOf(ConflictError);
    const final = (await store.get(approvalId)) as Approval;
    expect(final.history.filter((h) => h.event === 'reminded')).toHaveLength(5);
    expect(final.history.filter((h) => h.event === 'approved')).toHaveLength(1);
  });

  it('refuses an escalation step once settled, and a second settlement', async () => {
    const { approvalId } = await created();
    await store.settle(approvalId, approve());
    await expect(
      store.advanceEscalation(approvalId, { escalationStage: 1 }, event('reminded')),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(store.settle(approvalId, { ...approve(), status: 'REJECTED' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect((await store.get(approvalId))?.status).toBe('APPROVED');
  });

  it('of two overlapping escalation passes taking the same step, one records it', async () => {
    const { approvalId } = await created();
    const passes = await Promise.allSettled(
      [1, 2].map(() =>
        store.advanceEscalation(
          approvalId,
          { escalationStage: 1, nextEscalationAt: at(59) },
          event('reminded'),
        ),
      ),
    );
    expect(passes.map((p) => p.status).sort()).toEqual(['fulfilled', 'rejected']);
    const final = (await store.get(approvalId)) as Approval;
    expect(final.history.filter((h) => h.event === 'reminded')).toHaveLength(1);
    await store.advanceEscalation(approvalId, { escalationStage: 2 }, event('escalated'));
    await expect(
      store.advanceEscalation(approvalId, { escalationStage: 1 }, event('reminded')),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('an escalation step sets the next one, or none', async () => {
    const { approvalId } = await created({ nextEscalationAt: at(15) });
    const reminded = await store.advanceEscalation(
      approvalId,
      { escalationStage: 1, nextEscalationAt: at(59) },
      event('reminded'),
    );
    expect(reminded).toMatchObject({ escalationStage: 1, nextEscalationAt: at(59) });
    const escalated = await store.advanceEscalation(approvalId, { escalationStage: 2 }, event('escalated'));
    expect(escalated.escalationStage).toBe(2);
    expect(escalated.nextEscalationAt).toBeUndefined();
  });
});

describe('DynamoDB approval store: settled but unanswered', () => {
  it('lists a settled approval until its run is answered and its settlement logged, then no more; only before the cutoff', async () => {
    const { approvalId } = await created();
    await store.settle(approvalId, approve(30));
    const listed = (before: string) =>
      store.listUnanswered(before).then((list) => list.filter((a) => a.approvalId === approvalId));
    expect(await listed(at(29))).toEqual([]);
    expect((await listed(at(31))).map((a) => a.status)).toEqual(['APPROVED']);
    expect((await store.listPending()).some((a) => a.approvalId === approvalId)).toBe(false);

    await expect(store.markAnswered(approvalId, 'some-other-token', at(32))).rejects.toBeInstanceOf(
      ConflictError,
    );
    await store.markAnswered(approvalId, await store.taskToken(approvalId), at(32));
    // Answered by a public endpoint, which may not write the audit entry: still listed for an appender.
    expect((await listed(at(59))).map((a) => a.answeredAt)).toEqual([at(32)]);
    await store.markLogged(approvalId, at(33));
    await store.markLogged(approvalId, at(34)); // a second appender keeps the first time
    expect(await listed(at(59))).toEqual([]);
    expect(await store.get(approvalId)).toMatchObject({ answeredAt: at(32), loggedAt: at(33) });
  });

  it('logged first and answered later (recovery answers an approval its appender logged): off the list once both', async () => {
    const { approvalId } = await created();
    await store.settle(approvalId, approve(30));
    const listed = () =>
      store.listUnanswered(at(59)).then((list) => list.filter((a) => a.approvalId === approvalId));
    await store.markLogged(approvalId, at(31));
    expect(await listed()).toHaveLength(1);
    await store.markAnswered(approvalId, await store.taskToken(approvalId), at(32));
    expect(await listed()).toEqual([]);
  });

  it('a retried request with a new token after the answer lists the approval again, for the new token', async () => {
    const approval = await created();
    await store.settle(approval.approvalId, approve(30));
    await store.markAnswered(approval.approvalId, `token-${seq}-a`, at(31));
    const again = await store.create(approval, `token-${seq}-b`);
    expect(again.status).toBe('APPROVED');
    expect(again.answeredAt).toBeUndefined();
    expect(await store.taskToken(approval.approvalId)).toBe(`token-${seq}-b`);
    expect((await store.listUnanswered(at(59))).map((a) => a.approvalId)).toContain(approval.approvalId);
    // The same token again (a local restart re-sends it) changes nothing.
    await store.markAnswered(approval.approvalId, `token-${seq}-b`, at(32));
    await store.create(approval, `token-${seq}-b`);
    expect((await store.get(approval.approvalId))?.answeredAt).toBe(at(32));
  });

  it('reads and extends a record written before this layout (everything in one JSON document)', async () => {
    const legacy = approvalFixture({
      approvalId: 'apr-legacy',
      history: [event('requested', 0), event('notified', 1)],
      slackMessage: { channel: '#old', ts: '9.9' },
      escalationStage: 1,
      nextEscalationAt: at(59),
    });
    await DynamoDBDocumentClient.from(db.client).send(
      new PutCommand({
        TableName: TABLE_NAMES.state,
        Item: {
          pk: 'APPROVAL#apr-legacy',
          sk: 'APPROVAL',
          gsi1pk: 'APPROVALS#PENDING',
          gsi1sk: `${legacy.createdAt}#apr-legacy`,
          status: 'PENDING',
          version: 2,
          taskToken: 'legacy-token',
          record: JSON.stringify(legacy),
        },
      }),
    );
    expect(await store.get('apr-legacy')).toEqual(legacy);
    const escalated = await store.advanceEscalation(
      'apr-legacy',
      { escalationStage: 2 },
      event('escalated', 2),
    );
    expect(escalated.nextEscalationAt).toBeUndefined();
    const decided = await store.settle('apr-legacy', approve(3));
    expect(decided.history.map((h) => h.event)).toEqual(['requested', 'notified', 'escalated', 'approved']);
    expect(decided.slackMessage).toEqual({ channel: '#old', ts: '9.9' });
    expect((await store.listUnanswered(at(59))).map((a) => a.approvalId)).toContain('apr-legacy');
  });
});
