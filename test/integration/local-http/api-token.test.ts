import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ApiTokenFileError,
  createLocalContext,
  ensureApiToken,
  tokensEqual,
} from '../../../lib/local/http/index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aios-token-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('ensureApiToken', () => {
  it('creates <dir>/api-token with 32 random bytes in hex, mode 0600, and returns the same token after', () => {
    const token = ensureApiToken(join(dir, 'nested'));
    const file = join(dir, 'nested', 'api-token');

    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureApiToken(join(dir, 'nested'))).toBe(token);
    expect(ensureApiToken(mkdtempSync(join(tmpdir(), 'aios-token-other-')))).not.toBe(token);
  });

  it('tightens a token file readable by others, and refuses one that holds no token', () => {
    const token = ensureApiToken(dir);
    chmodSync(join(dir, 'api-token'), 0o644);
    expect(ensureApiToken(dir)).toBe(token);
    expect(statSync(join(dir, 'api-token')).mode & 0o777).toBe(0o600);

    writeFileSync(join(dir, 'api-token'), 'not a token');
    expect(() => ensureApiToken(dir)).toThrow(ApiTokenFileError);
  });
});

describe('tokensEqual', () => {
  it('compares whole tokens, whatever their lengths', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
  });
});

describe('createLocalContext', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts the remaining time down from the timeout to zero', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const context = createLocalContext('aios-gateway', 3_000);
    expect(context.getRemainingTimeInMillis()).toBe(3_000);
    vi.advanceTimersByTime(1_200);
    expect(context.getRemainingTimeInMillis()).toBe(1_800);
    vi.advanceTimersByTime(5_000);
    expect(context.getRemainingTimeInMillis()).toBe(0);
    expect(context).toMatchObject({
      functionName: 'aios-gateway',
      invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:aios-gateway',
      logGroupName: '/aws/lambda/aios-gateway',
    });
  });
});
