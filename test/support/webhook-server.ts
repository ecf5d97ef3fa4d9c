import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookServer {
  readonly url: string;
  /** Every request received, including repeats. */
  readonly deliveries: { path: string; idempotencyKey?: string; body: string }[];
  /** Effects applied: one per distinct Idempotency-Key, as a provider that honours the header does. */
  readonly effects: Map<string, number>;
  /** Make the next `count` requests to `path` answer `status` before any effect. */
  failNext(path: string, count: number, status: number): void;
  /** Hold every request to `path` unanswered until the returned function is called. */
  hold(path: string): () => void;
  close(): Promise<void>;
}

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

/** A loopback stand-in for an external provider that counts what it received and what it applied. */
export async function startWebhookServer(): Promise<WebhookServer> {
  const deliveries: WebhookServer['deliveries'] = [];
  const effects = new Map<string, number>();
  const failures = new Map<string, { count: number; status: number }>();
  const held = new Map<string, Promise<void>>();
  const server: Server = createServer(async (request, response) => {
    const body = await readBody(request);
    const path = request.url ?? '/';
    const header = request.headers['idempotency-key'];
    const idempotencyKey = Array.isArray(header) ? header[0] : header;
    deliveries.push({ path, idempotencyKey, body });
    await held.get(path);
    const failure = failures.get(path);
    if (failure && failure.count > 0) {
      failure.count -= 1;
      response
        .writeHead(failure.status, { 'content-type': 'application/json' })
        .end('{"error":"scripted failure"}');
      return;
    }
    const effectKey = idempotencyKey ?? `no-key-${deliveries.length}`;
    const duplicate = effects.has(effectKey);
    effects.set(effectKey, (effects.get(effectKey) ?? 0) + 1);
    response
      .writeHead(duplicate ? 200 : 201, { 'content-type': 'application/json' })
      .end(JSON.stringify({ duplicate }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    effects,
    failNext: (path, count, status) => failures.set(path, { count, status }),
    hold(path) {
      let release = () => {};
      held.set(
        path,
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      );
      return () => {
        held.delete(path);
        release();
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
