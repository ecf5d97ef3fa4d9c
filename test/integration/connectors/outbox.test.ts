import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmailOutbox } from '../../../functions/adapters/local/email-outbox.ts';
import { createSlackOutbox } from '../../../functions/adapters/local/slack-outbox.ts';
import { emailSendConnector } from '../../../functions/connectors/email-send.ts';
import { slackPostConnector } from '../../../functions/connectors/slack-post.ts';
import { fixedClock } from '../../support/fixtures.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aios-outbox-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const email = (idempotencyKey: string) => ({
  from: 'aios@localhost',
  to: ['ana@acme.example'],
  subject: 'Welcome',
  text: 'Hello',
  idempotencyKey,
});

describe('the email outbox', () => {
  it('writes one .eml per key, named <timestamp>-<key>.eml, with no temporary file left', async () => {
    const outbox = createEmailOutbox({ dir: join(dir, 'email'), clock: fixedClock() });
    const { messageId } = await outbox.send(email('aios-k1'));
    const files = readdirSync(join(dir, 'email'));
    expect(files).toEqual(['20261125T100000000Z-aios-k1.eml']);
    const eml = readFileSync(join(dir, 'email', files[0] as string), 'utf8');
    expect(eml).toContain(`Message-ID: <${messageId}>\r\n`);
    expect(eml).toContain('X-Aios-Idempotency-Key: aios-k1\r\n');
  });

  it('is idempotent by key: the same key twice gives one file and the same message id', async () => {
    const outbox = createEmailOutbox({ dir, clock: fixedClock() });
    const first = await outbox.send(email('aios-k1'));
    const later = createEmailOutbox({ dir, clock: fixedClock('2026-11-25T11:00:00.000Z') });
    const second = await later.send({ ...email('aios-k1'), subject: 'changed' });
    expect(second).toEqual(first);
    expect(readdirSync(dir)).toEqual(['20261125T100000000Z-aios-k1.eml']);
    expect(readFileSync(join(dir, '20261125T100000000Z-aios-k1.eml'), 'utf8')).toContain(
      'Subject: Welcome\r\n',
    );
    expect(outbox.dedupes).toBe(true);
  });

  it('sends concurrent duplicates once, and different keys separately', async () => {
    const outbox = createEmailOutbox({ dir, clock: fixedClock() });
    const results = await Promise.all([
      outbox.send(email('aios-k1')),
      outbox.send(email('aios-k1')),
      outbox.send(email('aios-k2')),
    ]);
    expect(results[0]).toEqual(results[1]);
    expect(results[2]).not.toEqual(results[0]);
    expect(readdirSync(dir).sort()).toEqual([
      '20261125T100000000Z-aios-k1.eml',
      '20261125T100000000Z-aios-k2.eml',
    ]);
  });

  it('keeps keys that are not file-name safe apart', async () => {
    const outbox = createEmailOutbox({ dir, clock: fixedClock() });
    const a = await outbox.send(email('run/1'));
    const b = await outbox.send(email('run_1'));
    expect(a).not.toEqual(b);
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('makes email.send idempotent locally', () => {
    const connector = emailSendConnector({ transport: createEmailOutbox({ dir }), from: 'aios@localhost' });
    expect(connector.idempotent).toBe(true);
  });
});

describe('the Slack outbox', () => {
  const post = { channel: '#general', text: 'Invoice 42 sent', idempotencyKey: 'aios-s1' };

  it('writes the payload as JSON and returns a deterministic ts, once per key', async () => {
    const outbox = createSlackOutbox({ dir, clock: fixedClock() });
    const first = await outbox.postMessage({ ...post, blocks: [{ type: 'divider' }] });
    expect(first.channel).toBe('#general');
    expect(first.ts).toMatch(/^1795600800\.\d{6}$/);
    const second = await createSlackOutbox({
      dir,
      clock: fixedClock('2026-11-26T00:00:00.000Z'),
    }).postMessage(post);
    expect(second).toEqual(first);
    expect(readdirSync(dir)).toEqual(['20261125T100000000Z-aios-s1.json']);
    expect(JSON.parse(readFileSync(join(dir, '20261125T100000000Z-aios-s1.json'), 'utf8'))).toEqual({
      channel: '#general',
      ts: first.ts,
      text: 'Invoice 42 sent',
      blocks: [{ type: 'divider' }],
      idempotencyKey: 'aios-s1',
      postedAt: '2026-11-25T10:00:00.000Z',
    });
  });

  it('records a delete with a .deleted marker, and a second delete finds it already gone', async () => {
    const outbox = createSlackOutbox({ dir, clock: fixedClock() });
    const ref = await outbox.postMessage(post);
    expect(await outbox.deleteMessage(ref)).toEqual({ alreadyDeleted: false });
    expect(readdirSync(dir).sort()).toEqual([
      '20261125T100000000Z-aios-s1.json',
      '20261125T100000000Z-aios-s1.json.deleted',
    ]);
    expect(await outbox.deleteMessage(ref)).toEqual({ alreadyDeleted: true });
    expect(await outbox.deleteMessage({ channel: '#general', ts: '1.000001' })).toEqual({
      alreadyDeleted: true,
    });
  });

  it('makes slack.post idempotent locally', () => {
    expect(slackPostConnector(createSlackOutbox({ dir })).idempotent).toBe(true);
  });
});
