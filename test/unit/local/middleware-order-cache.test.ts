import { DescribeTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { cacheMiddlewareOrder } from '../../../lib/local/middleware-order-cache.ts';

type Args = { input: Record<string, unknown> };
type Next = (args: Args) => Promise<unknown>;

/**
 * A client whose deserializer answers every request itself with the key it was asked for, so no
 * request leaves the process; `orders()` tells how many times an order was worked out.
 */
function answeringClient(passOver?: ReadonlySet<string>) {
  const client = new DynamoDBClient({
    endpoint: 'http://127.0.0.1:9',
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  client.middlewareStack.add(
    (() => async (args: Args & { request?: { body?: string | Uint8Array } }) => {
      const body = args.request?.body;
      const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
      const { Key } = JSON.parse(text) as { Key: Record<string, unknown> };
      return { output: { Item: Key, $metadata: {} }, response: {} };
    }) as never,
    { name: 'deserializerMiddleware', step: 'deserialize', tags: ['DESERIALIZER'], override: true } as never,
  );
  let worked = 0;
  cacheMiddlewareOrder(client.middlewareStack, {
    emptyStack: () => {
      worked += 1;
      return new DescribeTableCommand({ TableName: '' }).middlewareStack as never;
    },
    ...(passOver ? { passOver } : {}),
  });
  return { client, orders: () => worked };
}

const getItem = (pk: string) => new GetItemCommand({ TableName: 't', Key: { pk: { S: pk } } });

describe('cacheMiddlewareOrder', () => {
  it('works out the order of a command class once, and each request still gets its own input', async () => {
    const { client, orders } = answeringClient();
    expect((await client.send(getItem('a'))).Item).toEqual({ pk: { S: 'a' } });
    expect((await client.send(getItem('b'))).Item).toEqual({ pk: { S: 'b' } });
    expect(orders()).toBe(1);
    // A document command adds its marshalling middlewares: another order, once.
    const doc = DynamoDBDocumentClient.from(client);
    expect((await doc.send(new GetCommand({ TableName: 't', Key: { pk: 'c' } }))).Item).toEqual({ pk: 'c' });
    expect((await doc.send(new GetCommand({ TableName: 't', Key: { pk: 'd' } }))).Item).toEqual({ pk: 'd' });
    expect(orders()).toBe(2);
  });

  it('works the order out again after a middleware is added to or removed from the client, and honours it', async () => {
    const { client, orders } = answeringClient();
    await client.send(getItem('a'));
    const seen: string[] = [];
    client.middlewareStack.add(
      ((next: Next) => async (args: Args) => {
        seen.push(String((args.input.Key as { pk: { S: string } }).pk.S));
        return next(args);
      }) as never,
      { step: 'initialize', name: 'seen' } as never,
    );
    await client.send(getItem('b'));
    await client.send(getItem('c'));
    expect(seen).toEqual(['b', 'c']);
    expect(orders()).toBe(2);
    client.middlewareStack.remove('seen');
    await client.send(getItem('d'));
    expect(seen).toEqual(['b', 'c']);
    expect(orders()).toBe(3);
  });

  it('gives every request a context of its own', async () => {
    const { client } = answeringClient();
    const contexts: object[] = [];
    client.middlewareStack.add(
      ((next: Next, context: object) => async (args: Args) => {
        contexts.push(context);
        return next(args);
      }) as never,
      { step: 'initialize', name: 'contexts' } as never,
    );
    await Promise.all([client.send(getItem('a')), client.send(getItem('b'))]);
    expect(contexts).toHaveLength(2);
    expect(contexts[0]).not.toBe(contexts[1]);
  });

  it('leaves out the middlewares it is told to pass over, and only those', async () => {
    /** How many endpoints a client resolves for one request. */
    const endpointsResolved = async (client: DynamoDBClient) => {
      let resolved = 0;
      const provider = client.config.endpointProvider;
      client.config.endpointProvider = ((...args: Parameters<typeof provider>) => {
        resolved += 1;
        return provider(...args);
      }) as typeof provider;
      await client.send(getItem('a'));
      return resolved;
    };
    expect(await endpointsResolved(answeringClient(new Set(['endpointV2Middleware'])).client)).toBe(0);
    expect(await endpointsResolved(answeringClient().client)).toBe(1);
  });
});
