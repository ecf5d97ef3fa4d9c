import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAICompatibleModel } from '../../../functions/adapters/local/openai-compatible-model.ts';

let server: Server;
let baseUrl: string;
const requests: { path?: string; auth?: string; body: Record<string, unknown> }[] = [];
let reply: { status: number; body: unknown } = { status: 200, body: {} };

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    request.on('end', () => {
      requests.push({ path: request.url, auth: request.headers.authorization, body: JSON.parse(text) });
      response
        .writeHead(reply.status, { 'content-type': 'application/json' })
        .end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('OpenAI-compatible model (e.g. Ollama) over loopback', () => {
  it('posts a chat completion with the system prompt and reads the answer and usage', async () => {
    reply = {
      status: 200,
      body: {
        choices: [{ message: { content: '{"steps":[]}' } }],
        usage: { prompt_tokens: 42, completion_tokens: 7 },
      },
    };
    const model = createOpenAICompatibleModel({ baseUrl, model: 'llama3.1', apiKey: 'k' });
    const response = await model.converse({
      tier: 'fast',
      system: 'be a planner',
      prompt: 'plan this',
      maxTokens: 100,
    });
    expect(response).toEqual({ text: '{"steps":[]}', modelId: 'llama3.1', inputTokens: 42, outputTokens: 7 });
    expect(requests.at(-1)).toMatchObject({
      path: '/v1/chat/completions',
      auth: 'Bearer k',
      body: {
        model: 'llama3.1',
        max_tokens: 100,
        temperature: 0,
        messages: [
          { role: 'system', content: 'be a planner' },
          { role: 'user', content: 'plan this' },
        ],
      },
    });
  });

  it('reports an error answer with its status', async () => {
    reply = { status: 404, body: { error: 'model "nope" not found' } };
    const model = createOpenAICompatibleModel({ baseUrl, model: 'nope' });
    await expect(model.converse({ tier: 'fast', system: 's', prompt: 'p', maxTokens: 10 })).rejects.toThrow(
      /answered 404: .*not found/,
    );
  });

  it('rejects an answer that is not a chat completion', async () => {
    reply = { status: 200, body: { choices: [] } };
    const model = createOpenAICompatibleModel({ baseUrl, model: 'llama3.1' });
    await expect(model.converse({ tier: 'fast', system: 's', prompt: 'p', maxTokens: 10 })).rejects.toThrow(
      /choices/,
    );
  });
});
