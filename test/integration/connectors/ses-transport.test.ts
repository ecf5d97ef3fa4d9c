import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSesEmailTransport, sesClient } from '../../../functions/adapters/aws/ses-email-transport.ts';
import { emailSendConnector } from '../../../functions/connectors/email-send.ts';
import { PermanentConnectorError, TransientConnectorError } from '../../../functions/core/errors.ts';

/** The error a call fails with; the test fails if the call succeeds. */
const rejectionOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as Error,
  );

interface Received {
  method?: string;
  path?: string;
  body: Record<string, unknown>;
}
type Answer = { status: number; headers?: Record<string, string>; body: unknown };

/** A loopback SES v2 endpoint (REST-JSON): records each request and answers from a script. */
let server: Server;
let endpoint: string;
const received: Received[] = [];
const script: Answer[] = [];

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

beforeAll(async () => {
  server = createServer(async (request, response) => {
    const text = await readBody(request);
    received.push({ method: request.method, path: request.url, body: text ? JSON.parse(text) : {} });
    const answer = script.shift() ?? { status: 200, body: { MessageId: `0100018c-${received.length}` } };
    response
      .writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
      .end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);
beforeEach(() => {
  received.length = 0;
  script.length = 0;
});

const transport = () =>
  createSesEmailTransport(
    sesClient({
      endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    }),
  );
const message = {
  from: 'ops@acme.example',
  to: ['ana@acme.example'],
  cc: ['bo@acme.example'],
  subject: 'Grüße',
  text: 'Hello',
  html: '<p>Hello</p>',
  idempotencyKey: 'aios-0123:step/1',
};

describe('the SES v2 transport', () => {
  it('sends Simple content from the configured identity, with the key in a header and a sanitised tag', async () => {
    const connector = emailSendConnector({ transport: transport(), from: 'ops@acme.example' });
    const output = await connector.execute(
      { to: message.to, cc: message.cc, subject: message.subject, text: message.text, html: message.html },
      { idempotencyKey: message.idempotencyKey, runId: 'r1', stepIndex: 0, now: new Date() },
    );
    expect(output.messageId).toBe('0100018c-1');
    expect(received).toHaveLength(1);
    const [request] = received;
    expect([request?.method, request?.path]).toEqual(['POST', '/v2/email/outbound-emails']);
    expect(request?.body).toEqual({
      FromEmailAddress: 'ops@acme.example',
      Destination: { ToAddresses: ['ana@acme.example'], CcAddresses: ['bo@acme.example'] },
      Content: {
        Simple: {
          Subject: { Data: 'Grüße', Charset: 'UTF-8' },
          Body: {
            Text: { Data: 'Hello', Charset: 'UTF-8' },
            Html: { Data: '<p>Hello</p>', Charset: 'UTF-8' },
          },
          Headers: [{ Name: 'X-Aios-Idempotency-Key', Value: 'aios-0123:step/1' }],
        },
      },
      EmailTags: [{ Name: 'aios-idempotency-key', Value: 'aios-0123_step_1' }],
    });
  });

  it.each([
    ['MessageRejected', 400],
    ['MailFromDomainNotVerifiedException', 400],
    ['BadRequestException', 400],
  ])('fails permanently on %s', async (type, status) => {
    script.push({
      status,
      headers: { 'x-amzn-errortype': type },
      body: { message: 'Email address is not verified.' },
    });
    const error = await rejectionOf(transport().send(message));
    expect(error).toBeInstanceOf(PermanentConnectorError);
    expect(error.message).toContain(type);
  });

  it.each([
    ['TooManyRequestsException', 429],
    ['LimitExceededException', 400],
    ['InternalFailure', 500],
  ])('fails transiently on %s, after one attempt only', async (type, status) => {
    script.push({ status, headers: { 'x-amzn-errortype': type }, body: { message: 'slow down' } });
    await expect(transport().send(message)).rejects.toBeInstanceOf(TransientConnectorError);
    expect(received).toHaveLength(1);
  });
});
