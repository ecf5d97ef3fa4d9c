import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import type { AnswerRequest } from './in-process-dynamodb.ts';

/** As dynalite's HTTP layer: a larger body is refused unread. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
const JSON_TYPES = new Set(['application/json', 'application/x-amz-json-1.0']);

function send(response: ServerResponse, statusCode: number, body: string, contentType: string): void {
  response.statusCode = statusCode;
  response.setHeader(
    'x-amzn-RequestId',
    randomBytes(39).toString('base64').toUpperCase().replace(/[+/]/g, '0'),
  );
  response.setHeader('x-amz-crc32', crc32(body));
  response.setHeader('Content-Type', contentType);
  response.setHeader('Content-Length', Buffer.byteLength(body, 'utf8'));
  response.end(body);
}

const signed = (request: IncomingMessage) =>
  request.headers.authorization?.trim().startsWith('AWS4-') === true ||
  (request.url ?? '').includes('X-Amz-Algorithm=');

/**
 * The store's HTTP endpoint for clients in other processes, answering with `answer` (the same store
 * the in-process client uses: LevelDB lets one opener hold a directory). It speaks what dynalite's
 * own server speaks to the AWS SDK: POST of DynamoDB JSON with a SigV4 Authorization header, which
 * is required but not checked, as dynalite does.
 */
export function createDynamoDBHttpServer(answer: AnswerRequest): Server {
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > MAX_REQUEST_BYTES) {
        request.removeAllListeners('data');
        request.removeAllListeners('end');
        response.statusCode = 413;
        response.end();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      const responseType = contentType === 'application/x-amz-json-1.0' ? contentType : 'application/json';
      if (request.method !== 'POST' || !JSON_TYPES.has(contentType)) {
        response.statusCode = 404;
        response.end('<UnknownOperationException/>\n');
        return;
      }
      if (!signed(request)) {
        send(
          response,
          400,
          JSON.stringify({
            __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
            message: 'Request is missing Authentication Token',
          }),
          responseType,
        );
        return;
      }
      const target = request.headers['x-amz-target'];
      answer(typeof target === 'string' ? target : undefined, Buffer.concat(chunks).toString()).then(
        (answered) => send(response, answered.statusCode, answered.body, responseType),
        (error: unknown) =>
          send(
            response,
            500,
            JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
              message: error instanceof Error ? error.message : String(error),
            }),
            responseType,
          ),
      );
    });
  });
}
