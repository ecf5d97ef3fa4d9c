import { describe, expect, it } from 'vitest';
import { describeAction } from '../../../functions/connectors/descriptors.ts';
import {
  SlackDeleteParams,
  SlackPostParams,
  slackDeleteConnector,
  slackPostConnector,
} from '../../../functions/connectors/slack-post.ts';
import type { SlackMessage, SlackTransport } from '../../../functions/core/ports/slack-transport.ts';
import { parseOrThrow } from '../../../functions/core/validation.ts';

const parsePost = (params: unknown) => parseOrThrow(SlackPostParams, params, 'parameters of slack.post');
const parseDelete = (params: unknown) =>
  parseOrThrow(SlackDeleteParams, params, 'parameters of slack.delete');
const context = { idempotencyKey: 'aios-k1', runId: 'r1', stepIndex: 0, now: new Date(0) };

function fakeTransport(): SlackTransport & { posted: SlackMessage[]; deleted: string[] } {
  const posted: SlackMessage[] = [];
  const deleted: string[] = [];
  return {
    posted,
    deleted,
    dedupes: false,
    async postMessage(message) {
      posted.push(message);
      return { channel: 'C0123ABCDE', ts: '1700000000.000100' };
    },
    async deleteMessage(ref) {
      const again = deleted.includes(ref.ts);
      deleted.push(ref.ts);
      return { alreadyDeleted: again };
    },
  };
}

describe('slack.post parameters', () => {
  it('accepts a conversation id or a #name, text and up to 50 blocks', () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Hi*' } }];
    expect(parsePost({ channel: 'C0123ABCDE', text: 'hi', blocks })).toEqual({
      channel: 'C0123ABCDE',
      text: 'hi',
      blocks,
    });
    expect(parsePost({ channel: '#general', text: 'hi' }).channel).toBe('#general');
  });

  it.each([
    [
      'a channel that is neither an id nor a #name',
      { channel: 'general', text: 'hi' },
      /channel: must be a conversation id/,
    ],
    ['a lower-case id', { channel: 'c0123abcde', text: 'hi' }, /channel: /],
    ['empty text', { channel: '#general', text: '' }, /text: /],
    ['text over 40,000 characters', { channel: '#general', text: 'x'.repeat(40_001) }, /text: /],
    [
      'more than 50 blocks',
      { channel: '#general', text: 'hi', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) },
      /blocks: /,
    ],
    [
      'a block without a type',
      { channel: '#general', text: 'hi', blocks: [{ text: 'x' }] },
      /blocks\.0\.type: /,
    ],
  ])('rejects %s, naming the field', (_name, params, message) => {
    expect(() => parsePost(params)).toThrow(message);
  });
});

describe('slack.post connector', () => {
  it('posts with the intent key and returns where the message is', async () => {
    const transport = fakeTransport();
    const output = await slackPostConnector(transport).execute(
      parsePost({ channel: '#general', text: 'hi' }),
      context,
    );
    expect(transport.posted).toEqual([{ channel: '#general', text: 'hi', idempotencyKey: 'aios-k1' }]);
    expect(output).toEqual({ channel: 'C0123ABCDE', ts: '1700000000.000100' });
  });

  it('is an undoable external message whose compensation deletes it by channel and ts', () => {
    const connector = slackPostConnector(fakeTransport());
    expect([connector.risk, connector.undoable, connector.idempotent]).toEqual([
      'external-message',
      true,
      false,
    ]);
    const compensation = describeAction('slack.post')?.compensation;
    expect(compensation?.action).toBe('slack.delete');
    const params = compensation?.params(
      { channel: '#general', text: 'hi' },
      { channel: 'C0123ABCDE', ts: '1700000000.000100' },
    );
    expect(parseDelete(params)).toEqual({ channel: 'C0123ABCDE', ts: '1700000000.000100' });
  });
});

describe('slack.delete connector', () => {
  it('rejects a ts that is not a Slack timestamp', () => {
    expect(() => parseDelete({ channel: 'C0123ABCDE', ts: 'yesterday' })).toThrow(
      /ts: must be a Slack message timestamp/,
    );
  });

  it('is idempotent: deleting twice succeeds both times', async () => {
    const transport = fakeTransport();
    const connector = slackDeleteConnector(transport);
    const params = parseDelete({ channel: 'C0123ABCDE', ts: '1700000000.000100' });
    expect(connector.idempotent).toBe(true);
    expect(await connector.execute(params, context)).toEqual({
      ...params,
      deleted: true,
      alreadyDeleted: false,
    });
    expect(await connector.execute(params, context)).toEqual({
      ...params,
      deleted: true,
      alreadyDeleted: true,
    });
    expect(transport.deleted).toEqual(['1700000000.000100', '1700000000.000100']);
  });
});
