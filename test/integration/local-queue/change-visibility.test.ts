import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { createLocalQueue } from '../../../lib/local/queue/index.ts';
import { startQueueStore } from './start-store.ts';

let db: EmbeddedDynamoDB;
beforeAll(async () => {
  db = await startQueueStore();
});
afterAll(() => db.close());

describe('changeVisibility (SQS ChangeMessageVisibility)', () => {
  it('to 0 makes a received message receivable at once and wakes the consumer; a stale handle changes nothing', async () => {
    let now = 1_000_000;
    const queue = createLocalQueue({
      client: db.client,
      clock: { now: () => now },
      queues: [{ name: 'q', visibilityTimeoutSeconds: 30 }],
    });
    let woken = 0;
    queue.onVisible('q', () => {
      woken += 1;
    });
    await queue.send('q', 'hello');
    const [first] = await queue.receive('q');
    expect(await queue.receive('q')).toEqual([]);
    woken = 0;
    expect(await queue.changeVisibility('q', first?.receiptHandle ?? '', 0)).toBe(true);
    expect(woken).toBe(1);
    // Already visible: nothing to change.
    expect(await queue.changeVisibility('q', first?.receiptHandle ?? '', 0)).toBe(false);
    const [second] = await queue.receive('q');
    expect(second?.messageId).toBe(first?.messageId);
    expect(second?.attributes.ApproximateReceiveCount).toBe('2');
    // The first receive's handle is stale now: it neither hides nor deletes the message.
    expect(await queue.changeVisibility('q', first?.receiptHandle ?? '', 0)).toBe(false);
    expect(await queue.deleteMessage('q', first?.receiptHandle ?? '')).toBe(false);
    // A longer timeout hides it from now on, not from the receive.
    now += 10_000;
    expect(await queue.changeVisibility('q', second?.receiptHandle ?? '', 60)).toBe(true);
    now += 59_000;
    expect(await queue.receive('q')).toEqual([]);
    now += 1_000;
    expect((await queue.receive('q')).map((m) => m.body)).toEqual(['hello']);
  });
});
