import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import { createBedrockModel } from '../../../functions/adapters/aws/bedrock-model.ts';
import { createOfflineModel } from '../../../functions/adapters/local/offline-model.ts';
import { createOpenAICompatibleModel } from '../../../functions/adapters/local/openai-compatible-model.ts';
import { priceUsd } from '../../../functions/adapters/model-pricing.ts';
import { lineDiff } from '../../../functions/core/agents/draft-memory.ts';
import { resolveStepParams } from '../../../functions/core/agents/step-outputs.ts';
import { ModelCallError } from '../../../functions/core/errors.ts';
import type { Intent } from '../../../functions/core/schemas.ts';

const request = { tier: 'fast' as const, system: 's', prompt: 'p', maxTokens: 10 };

describe('model adapters classify failures', () => {
  it.each([
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
  ])('OpenAI-compatible: HTTP %i is a ModelCallError, retryable: %s', async (status, retryable) => {
    const model = createOpenAICompatibleModel({
      baseUrl: 'http://model.invalid/v1',
      model: 'small',
      fetchImpl: async () => new Response('{"error":"x"}', { status }),
    });
    const error = await model.converse(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelCallError);
    expect((error as ModelCallError).retryable).toBe(retryable);
  });

  it('OpenAI-compatible: an endpoint that does not answer in time is a retryable timeout', async () => {
    const model = createOpenAICompatibleModel({
      baseUrl: 'http://model.invalid/v1',
      model: 'small',
      timeoutMs: 20,
      fetchImpl: (_url, init) =>
        new Promise((_resolve, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        ),
    });
    const error = (await model.converse(request).catch((e: unknown) => e)) as ModelCallError;
    expect(error).toMatchObject({ name: 'ModelCallError', retryable: true });
  });

  it('OpenAI-compatible: the slow tier asks the larger model', async () => {
    const asked: string[] = [];
    const model = createOpenAICompatibleModel({
      baseUrl: 'http://model.invalid/v1',
      model: 'small',
      slowModel: 'large',
      fetchImpl: async (_url, init) => {
        asked.push((JSON.parse(String(init?.body)) as { model: string }).model);
        return Response.json({ choices: [{ message: { content: 'ok' } }] });
      },
    });
    await model.converse(request);
    await model.converse({ ...request, tier: 'slow' });
    expect(asked).toEqual(['small', 'large']);
  });

  it.each([
    ['ThrottlingException', true],
    ['ModelTimeoutException', true],
    ['ServiceUnavailableException', true],
    ['ValidationException', false],
    ['AccessDeniedException', false],
  ])('Bedrock: %s is a ModelCallError, retryable: %s', async (name, retryable) => {
    const client = {
      send: async () => {
        throw Object.assign(new Error('no'), { name });
      },
    } as unknown as BedrockRuntimeClient;
    const model = createBedrockModel({ client, models: { fast: 'f', slow: 's' } });
    const error = (await model.converse(request).catch((e: unknown) => e)) as ModelCallError;
    expect(error).toBeInstanceOf(ModelCallError);
    expect(error.retryable).toBe(retryable);
  });

  it('prices an inference profile as its model', () => {
    expect(priceUsd('global.anthropic.claude-haiku-4-5-20251001-v1:0', 1_000_000, 0)).toBe(1);
    expect(priceUsd('us.anthropic.claude-sonnet-4-5-20250929-v1:0', 0, 1_000_000)).toBe(15);
  });
});

describe('the offline model drafts and extracts deterministically', () => {
  const ask = async (prompt: string) => (await createOfflineModel().converse({ ...request, prompt })).text;

  it('drafts from the top earlier draft or edit, else from the filled instructions and the notes', async () => {
    const memory = [
      { id: 'a', kind: 'decision', score: 0.9, text: 'Ship on Friday' },
      { id: 'b', kind: 'draft-edit', score: 0.5, text: 'My own words' },
    ];
    expect(
      await ask(
        `<task>draft</task>\n<instructions>Write it</instructions>\n<memory>${JSON.stringify(memory)}</memory>`,
      ),
    ).toBe('My own words');
    expect(
      await ask(
        `<task>draft</task>\n<instructions>Write about <memory> use</instructions>\n<memory>${JSON.stringify(memory.slice(0, 1))}</memory>`,
      ),
    ).toBe('Write about <memory> use\n- Ship on Friday');
  });

  it('extracts the declared fields from field lines of the source', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, email: { type: 'string' } } };
    const text = await ask(
      `<task>extract</task>\n<source>Hi\nName: Ada\nphone: 1\nemail: ada@example.com</source>\n<schema>${JSON.stringify(schema)}</schema>`,
    );
    expect(JSON.parse(text)).toEqual({ name: 'Ada', email: 'ada@example.com' });
  });
});

describe('step outputs', () => {
  const intent = (
    stepIndex: number,
    stepId: string,
    type: string,
    output?: Record<string, unknown>,
  ): Intent => ({
    runId: 'r',
    stepIndex,
    stepId,
    title: stepId,
    action: { type, params: {} },
    idempotencyKey: `k${stepIndex}`,
    status: output ? 'SUCCEEDED' : 'RECORDED',
    attempts: 0,
    recordedAt: 't',
    ...(output ? { result: { ok: true, output, durationMs: 1 } } : {}),
  });

  it('fills whole values and embedded ones, and names what is drafted', () => {
    const intents = [intent(0, 'draft', 'model.draft', { text: 'Hello', n: 3 })];
    const resolved = resolveStepParams(
      {
        body: { text: '{{steps.draft.output.text}}', count: '{{steps.draft.output.n}}' },
        subject: 'Re: {{steps.draft.output.text}}',
      },
      intents,
      1,
    );
    expect(resolved.params).toEqual({ body: { text: 'Hello', count: 3 }, subject: 'Re: Hello' });
    expect(resolved.drafted).toEqual([{ param: 'body.text', stepId: 'draft', text: 'Hello' }]);
  });

  it('a step that has not succeeded, or a later one, has no output to read', () => {
    const intents = [intent(0, 'draft', 'model.draft'), intent(2, 'later', 'model.draft', { text: 'x' })];
    expect(() => resolveStepParams({ a: '{{steps.draft.output.text}}' }, intents, 1)).toThrow(
      /StepOutputError|not recorded/,
    );
    expect(() => resolveStepParams({ a: '{{steps.later.output.text}}' }, intents, 1)).toThrow(
      /steps\.later\.output\.text/,
    );
  });
});

describe('lineDiff', () => {
  it('shows the lines removed and written', () => {
    expect(lineDiff('Hello\nold line\nBye', 'Hello\nnew line\nBye')).toBe('- old line\n+ new line');
    expect(lineDiff('same', 'same')).toBe('');
  });
});
