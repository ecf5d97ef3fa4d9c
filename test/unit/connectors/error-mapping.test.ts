import { describe, expect, it } from 'vitest';
import { slackBotTokenFromSecret } from '../../../functions/adapters/aws/secrets.ts';
import {
  sesErrorToConnectorError,
  sesTagValue,
} from '../../../functions/adapters/aws/ses-email-transport.ts';
import {
  SlackErrorCode,
  slackErrorToConnectorError,
} from '../../../functions/adapters/slack/web-api-slack-transport.ts';
import { PermanentConnectorError, TransientConnectorError } from '../../../functions/core/errors.ts';

/** The error a call fails with; the test fails if the call succeeds. */
const rejectionOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as Error,
  );

const sdkError = (name: string, status?: number) =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: status === undefined ? { attempts: 1 } : { httpStatusCode: status },
  });

describe('SES errors', () => {
  it.each([
    ['TooManyRequestsException', 429],
    ['LimitExceededException', 400],
    ['InternalFailure', 500],
    ['SomethingNew', 503],
  ])('%s (HTTP %s) is transient', (name, status) => {
    const mapped = sesErrorToConnectorError(sdkError(name, status));
    expect(mapped).toBeInstanceOf(TransientConnectorError);
    expect(mapped.message).toContain(name);
  });

  it('a failure to reach SES (no HTTP status) is transient', () => {
    expect(sesErrorToConnectorError(sdkError('ECONNREFUSED'))).toBeInstanceOf(TransientConnectorError);
  });

  it.each([
    ['MessageRejected', 400],
    ['MailFromDomainNotVerifiedException', 400],
    ['BadRequestException', 400],
    ['AccountSuspendedException', 400],
  ])('%s is permanent', (name, status) => {
    const mapped = sesErrorToConnectorError(sdkError(name, status));
    expect(mapped).toBeInstanceOf(PermanentConnectorError);
    expect(mapped.message).toMatch(new RegExp(`SES SendEmail failed: ${name} \\(HTTP 400\\)`));
  });

  it('makes an idempotency key a valid tag value', () => {
    expect(sesTagValue('run:1/step 2+x')).toBe('run_1_step_2_x');
    expect(sesTagValue('k'.repeat(300))).toHaveLength(256);
  });
});

describe('Slack errors', () => {
  it.each([
    ['ratelimited', TransientConnectorError],
    ['internal_error', TransientConnectorError],
    ['channel_not_found', PermanentConnectorError],
    ['not_in_channel', PermanentConnectorError],
    ['invalid_auth', PermanentConnectorError],
    ['invalid_blocks', PermanentConnectorError],
  ])('ok:false with %s maps to %o, naming the code', (code, kind) => {
    const mapped = slackErrorToConnectorError('chat.postMessage', {
      code: SlackErrorCode.PlatformError,
      data: { error: code },
    });
    expect(mapped).toBeInstanceOf(kind);
    expect(mapped?.message).toBe(`Slack chat.postMessage failed: ${code}`);
  });

  it('rate limiting, 5xx and network failures are transient; another HTTP status is permanent', () => {
    expect(
      slackErrorToConnectorError('m', { code: SlackErrorCode.RateLimitedError, retryAfter: 30 }),
    ).toBeInstanceOf(TransientConnectorError);
    expect(
      slackErrorToConnectorError('m', { code: SlackErrorCode.HTTPError, statusCode: 503 }),
    ).toBeInstanceOf(TransientConnectorError);
    expect(
      slackErrorToConnectorError('m', {
        code: SlackErrorCode.RequestError,
        original: new Error('socket hang up'),
      }),
    ).toBeInstanceOf(TransientConnectorError);
    expect(
      slackErrorToConnectorError('m', { code: SlackErrorCode.HTTPError, statusCode: 404 }),
    ).toBeInstanceOf(PermanentConnectorError);
  });

  it('leaves errors that are not Slack API errors alone', () => {
    expect(slackErrorToConnectorError('m', new TypeError('bug'))).toBeUndefined();
  });
});

describe('the Slack bot token from Secrets Manager', () => {
  it('reads the named secret through the cache with a max age of 300 s and trims it', async () => {
    const calls: unknown[] = [];
    const getToken = slackBotTokenFromSecret({
      secretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:slack',
      fetchSecret: async (name, options) => {
        calls.push([name, options]);
        return 'xoxb-123-abc\n';
      },
    });
    expect(await getToken()).toBe('xoxb-123-abc');
    expect(calls).toEqual([['arn:aws:secretsmanager:eu-west-1:1:secret:slack', { maxAge: 300 }]]);
  });

  it('refuses the generated placeholder without ever showing it', async () => {
    const placeholder = 'Zq8Xk2PlaceholderValue0123456789';
    const getToken = slackBotTokenFromSecret({ secretId: 'slack', fetchSecret: async () => placeholder });
    const error = await rejectionOf(getToken());
    expect(error).toBeInstanceOf(PermanentConnectorError);
    expect(error.message).toMatch(/does not hold a Slack bot token/);
    expect(error.message).not.toContain(placeholder);
  });

  it.each([
    ['ResourceNotFoundException', PermanentConnectorError],
    ['AccessDeniedException', PermanentConnectorError],
    ['ThrottlingException', TransientConnectorError],
  ])('maps a Secrets Manager %s to %o', async (name, kind) => {
    const getToken = slackBotTokenFromSecret({
      secretId: 'slack',
      fetchSecret: async () => {
        throw Object.assign(new Error('wrapped'), { name: 'GetParameterError', cause: { name } });
      },
    });
    await expect(getToken()).rejects.toBeInstanceOf(kind);
  });
});
