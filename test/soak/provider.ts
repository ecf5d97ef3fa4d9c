import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as it reached the provider, repeats included. */
export interface Delivery {
  path: string;
  idempotencyKey?: string;
  body: string;
  /** When it arrived (ms since the epoch), to tell a repeat across a crash from a repeat within one life. */
  at: number;
}

export interface Provider {
  readonly url: string;
  readonly deliveries: readonly Delivery[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1_000_000;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * The outside world of the soak: a webhook provider on loopback that honours Idempotency-Key
 * (201 for a new key, 200 for a repeat, as a real provider does) and keeps every raw delivery,
 * so the soak can count how often each key was really sent.
 */
export async function startProvider(): Promise<Provider> {
  const deliveries: Delivery[] = [];
  const seen = new Set<string>();
  const server = createServer((request, response) => {
    const at = Date.now();
    readBody(request).then(
      (body) => {
        const header = request.headers['idempotency-key'];
        const idempotencyKey = Array.isArray(header) ? header[0] : header;
        deliveries.push({ path: request.url ?? '/', idempotencyKey, body, at });
        const repeat = idempotencyKey !== undefined && seen.has(idempotencyKey);
        if (idempotencyKey) seen.add(idempotencyKey);
        response
          .writeHead(repeat ? 200 : 201, { 'content-type': 'application/json' })
          .end(JSON.stringify({ received: true, duplicate: repeat }));
      },
      () => response.writeHead(400).end(),
    );
  });
  // The runtime is SIGKILLed mid-request; its sockets just vanish.
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
