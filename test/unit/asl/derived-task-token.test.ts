import { describe, expect, it } from 'vitest';
import { executionOfTaskToken, issueTaskToken, newTokenKey } from '../../../lib/local/asl/task-token.ts';

/*
 * A queue message is sent before its step is committed, so a restart may send it again: its token
 * must come out the same for the same task, and differ for any other task a restart could reach
 * at that place in the history, or an answer to the first message would complete the wrong task.
 */
const arn = 'arn:aws:states:local:000000000000:execution:run:r1';
const key = newTokenKey();
const at = (over: Partial<{ position: number; stateName: string; input: unknown }> = {}) =>
  issueTaskToken(arn, {
    tokenKey: key,
    position: 7,
    stateName: 'Execute action',
    input: { step: 1 },
    ...over,
  });

describe('a task token derived from the execution key', () => {
  it('is the same for the same place, state and input, and names its execution', () => {
    expect(at()).toBe(at());
    expect(at()).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]+$/);
    expect(executionOfTaskToken(at(), 'arn:aws:states:local:')).toBe(arn);
  });

  it('differs by position, by state, by input and by key', () => {
    const tokens = [
      at(),
      at({ position: 8 }),
      at({ stateName: 'Request approval' }),
      at({ input: { step: 2 } }),
      issueTaskToken(arn, {
        tokenKey: newTokenKey(),
        position: 7,
        stateName: 'Execute action',
        input: { step: 1 },
      }),
    ];
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('is random for an execution without a key', () => {
    expect(issueTaskToken(arn)).not.toBe(issueTaskToken(arn));
  });
});
