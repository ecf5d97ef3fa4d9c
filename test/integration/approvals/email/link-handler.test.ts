import { describe, expect, it, vi } from 'vitest';
import { createApprovalLinksApp } from '../../../../functions/app.ts';
import { createLinkTokens } from '../../../../functions/approvals/email/link-token.ts';
import { logger } from '../../../../functions/shared/powertools.ts';
import { createLocalContext } from '../../../../lib/local/http/lambda-context.ts';
import { lambdaFor } from '../../../support/http-lambda.ts';
import {
  APPROVER,
  approvalFixture,
  createFakeApprovals,
  createMemoryLinkTokenUses,
  linkEvent,
  movableClock,
} from './fakes.ts';

const context = createLocalContext('approval-link-test', 10_000);

function setup() {
  const clock = movableClock();
  const approvals = createFakeApprovals(
    [approvalFixture(), approvalFixture({ approvalId: 'apr-0002', summary: 'Another request' })],
    clock,
  );
  const uses = createMemoryLinkTokenUses();
  const tokens = createLinkTokens({ getKey: async () => 'link-signing-key-for-tests-0123456789', clock });
  const handler = lambdaFor(createApprovalLinksApp({ approvals, verify: tokens.verify, uses, clock }));
  const call = (event: ReturnType<typeof linkEvent>) => handler(event, context);
  return { clock, approvals, uses, tokens, call };
}

const approve = (token: string, extra: Record<string, string> = {}) => ({
  token,
  decision: 'approve',
  ...extra,
});

describe('email approval link handler', () => {
  it('GET shows the confirmation page and changes nothing, however often; the POST still works after', async () => {
    const { approvals, uses, tokens, call } = setup();
    const { token } = await tokens.mint('apr-0001', APPROVER);

    for (let i = 0; i < 3; i++) {
      const page = await call(linkEvent('GET', 'apr-0001', { token }));
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Send the first invoice of 1500 EUR to Acme Studio');
      expect(page.body).toContain('<form method="post">');
      expect(page.headers?.['cache-control']).toBe('no-store');
    }
    expect(approvals.decisions).toEqual([]);
    expect(uses.used.size).toBe(0);

    const result = await call(linkEvent('POST', 'apr-0001', { form: approve(token) }));

    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('Approved — the run goes on');
  });

  it('POST approve decides once, on the email channel, as the address the link is bound to', async () => {
    const { approvals, call, tokens } = setup();
    const { token } = await tokens.mint('apr-0001', 'partner@studio.example');

    const result = await call(
      linkEvent('POST', 'apr-0001', { form: approve(token, { note: '  fine by me  ' }) }),
    );

    expect(result.statusCode).toBe(200);
    expect(approvals.decisions).toEqual([
      {
        approvalId: 'apr-0001',
        request: { outcome: 'approved', channel: 'email', by: 'partner@studio.example', note: 'fine by me' },
      },
    ]);
    expect(approvals.records.get('apr-0001')?.status).toBe('APPROVED');
  });

  it('POST reject rejects and says so', async () => {
    const { approvals, call, tokens } = setup();
    const { token } = await tokens.mint('apr-0001', APPROVER);

    const result = await call(linkEvent('POST', 'apr-0001', { form: { token, decision: 'reject' } }));

    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('<h1>Rejected</h1>');
    expect(approvals.records.get('apr-0001')?.status).toBe('REJECTED');
  });

  it('a tampered token is a 403 with no state change', async () => {
    const { approvals, uses, call, tokens } = setup();
    const { token } = await tokens.mint('apr-0001', APPROVER);
    const [body = '', signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const forged = `${Buffer.from(JSON.stringify({ ...claims, approver: 'partner@studio.example' })).toString('base64url')}.${signature}`;

    const get = await call(linkEvent('GET', 'apr-0001', { token: forged }));
    const post = await call(linkEvent('POST', 'apr-0001', { form: approve(forged) }));

    expect(get.statusCode).toBe(403);
    expect(post.statusCode).toBe(403);
    expect(post.body).toContain('This link is not valid');
    expect(approvals.decisions).toEqual([]);
    expect(uses.used.size).toBe(0);
  });

  it('an expired link is a 410 with no state change', async () => {
    const { approvals, uses, call, tokens, clock } = setup();
    const { token } = await tokens.mint('apr-0001', APPROVER);
    clock.advance(60 * 60 * 1000);

    const get = await call(linkEvent('GET', 'apr-0001', { token }));
    const post = await call(linkEvent('POST', 'apr-0001', { form: approve(token) }));

    expect(get.statusCode).toBe(410);
    expect(post.statusCode).toBe(410);
    expect(post.body).toContain('This link has expired');
    expect(approvals.decisions).toEqual([]);
    expect(uses.used.size).toBe(0);
  });

  it('a reused link is a 409 "already used" and does not reach a second decision', async () => {
    const { approvals, call, tokens } = setup();
    const { token } = await tokens.mint('apr-0001', APPROVER);
    await call(linkEvent('POST', 'apr-0001', { form: approve(token) }));

    const again = await call(linkEvent('POST', 'apr-0001', { form: { token, decision: 'reject' } }));

    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('This link was already used');
    expect(again.body).toContain(`approved by <strong class="by">${APPROVER}</strong>`);
    expect(approvals.decisions).toHaveLength(1);
    expect(approvals.records.get('apr-0001')?.status).toBe('APPROVED');
  });

  it('the link of another approval is a 403 with no state change', async () => {
    const { approvals, uses, call, tokens } = setup();
    const { token } = await tokens.mint('apr-0002', APPROVER);

    const get = await call(linkEvent('GET', 'apr-0001', { token }));
    const post = await call(linkEvent('POST', 'apr-0001', { form: approve(token) }));

    expect(get.statusCode).toBe(403);
    expect(post.statusCode).toBe(403);
    expect(post.body).toContain('another approval request');
    expect(approvals.decisions).toEqual([]);
    expect(uses.used.size).toBe(0);
  });

  it('a second decision on an already-decided approval is a 409 page naming who decided and when', async () => {
    const { approvals, call, tokens, clock } = setup();
    const first = await tokens.mint('apr-0001', APPROVER);
    const second = await tokens.mint('apr-0001', 'partner@studio.example');
    await call(linkEvent('POST', 'apr-0001', { form: approve(first.token) }));
    clock.advance(5 * 60 * 1000);

    const result = await call(
      linkEvent('POST', 'apr-0001', { form: { token: second.token, decision: 'reject' } }),
    );
    const shown = await call(linkEvent('GET', 'apr-0001', { token: second.token }));

    expect(result.statusCode).toBe(409);
    expect(result.body).toContain(`Already approved by <strong class="by">${APPROVER}</strong>`);
    expect(result.body).toContain('2026-11-25 10:00 UTC');
    expect(shown.statusCode).toBe(409);
    expect(shown.body).toContain('Already approved by');
    expect(approvals.records.get('apr-0001')?.decision?.by).toBe(APPROVER);
  });

  it('an approval request that expired is a 410 page', async () => {
    const { approvals, call, tokens } = setup();
    const { token } = await tokens.mint('apr-0001', APPROVER);
    const record = approvals.records.get('apr-0001');
    if (record) record.status = 'EXPIRED';

    const result = await call(linkEvent('POST', 'apr-0001', { form: approve(token) }));

    expect(result.statusCode).toBe(410);
    expect(result.body).toContain('This approval request has expired');
  });

  it.each([
    ['no token on the GET', linkEvent('GET', 'apr-0001')],
    ['a token that is not one', linkEvent('GET', 'apr-0001', { token: 'not-a-token' })],
    ['no decision', linkEvent('POST', 'apr-0001', { form: { token: 'a.b' } })],
    ['an unknown decision', linkEvent('POST', 'apr-0001', { form: { token: 'a.b', decision: 'maybe' } })],
    [
      'a JSON body',
      linkEvent('POST', 'apr-0001', { form: { token: 'a.b' }, contentType: 'application/json' }),
    ],
  ])('%s is a 400 page with no state change', async (_name, event) => {
    const { approvals, uses, call } = setup();

    const result = await call(event);

    expect(result.statusCode).toBe(400);
    expect(result.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(approvals.decisions).toEqual([]);
    expect(uses.used.size).toBe(0);
  });

  it('names the field that is wrong in a bad form', async () => {
    const { call } = setup();

    const result = await call(linkEvent('POST', 'apr-0001', { form: { token: 'a.b', decision: 'maybe' } }));

    expect(result.body).toContain('decision: decision must be &quot;approve&quot; or &quot;reject&quot;');
  });

  it('answers other methods with 405 and the allowed ones', async () => {
    const { call } = setup();

    const result = await call(linkEvent('PUT', 'apr-0001'));

    expect(result.statusCode).toBe(405);
    expect(result.headers?.allow).toBe('GET, POST');
  });

  it('a failing service is a generic 500 page that reveals nothing', async () => {
    const { approvals, uses, tokens, clock } = setup();
    const { token } = await tokens.mint('apr-0001', APPROVER);
    const handler = lambdaFor(
      createApprovalLinksApp({
        approvals: {
          ...approvals,
          decide: async () => {
            throw new Error('DynamoDB is on fire at table aios-state');
          },
        },
        verify: tokens.verify,
        uses,
        clock,
      }),
    );

    const logged = vi.spyOn(logger, 'error').mockImplementation(() => {});

    const result = await handler(linkEvent('POST', 'apr-0001', { form: approve(token) }), context);
    const calls = logged.mock.calls.map(([message]) => message);
    logged.mockRestore();

    expect(calls).toEqual(['approval link failed']);
    expect(result.statusCode).toBe(500);
    expect(result.body).toContain('Something went wrong');
    expect(result.body).not.toContain('aios-state');
  });
});
