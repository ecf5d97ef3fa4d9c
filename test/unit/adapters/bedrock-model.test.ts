import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import { createBedrockModel } from '../../../functions/adapters/aws/bedrock-model.ts';

/** A client double that records the Converse commands it is sent and answers like Bedrock. */
function fakeBedrock() {
  const sent: { modelId?: string; maxTokens?: number; system?: unknown; text?: string }[] = [];
  const client = {
    async send(command: { input: Record<string, unknown> }) {
      const input = command.input as {
        modelId: string;
        system: unknown;
        messages: { content: { text: string }[] }[];
        inferenceConfig: { maxTokens: number };
      };
      sent.push({
        modelId: input.modelId,
        maxTokens: input.inferenceConfig.maxTokens,
        system: input.system,
        text: input.messages[0]?.content[0]?.text,
      });
      return {
        output: { message: { role: 'assistant', content: [{ text: '{"steps":' }, { text: '[]}' }] } },
        usage: { inputTokens: 1200, outputTokens: 300 },
      };
    },
  };
  return { client: client as unknown as BedrockRuntimeClient, sent };
}

describe('Bedrock model adapter', () => {
  const models = {
    fast: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    slow: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
  };

  it('sends a Converse request to the model of the tier and joins the answer', async () => {
    const { client, sent } = fakeBedrock();
    const model = createBedrockModel({ client, models });
    const response = await model.converse({ tier: 'slow', system: 'plan', prompt: 'hello', maxTokens: 500 });
    expect(sent).toEqual([
      { modelId: models.slow, maxTokens: 500, system: [{ text: 'plan' }], text: 'hello' },
    ]);
    expect(response).toEqual({
      text: '{"steps":[]}',
      modelId: models.slow,
      inputTokens: 1200,
      outputTokens: 300,
    });
  });

  it('prices known models per token and unknown ones at the most expensive rate', () => {
    const model = createBedrockModel({ client: fakeBedrock().client, models });
    expect(model.priceUsd(models.fast, 1_000_000, 0)).toBeCloseTo(0.8);
    expect(model.priceUsd(models.slow, 0, 1_000_000)).toBeCloseTo(15);
    expect(model.priceUsd('someone.new-model', 1_000_000, 0)).toBeCloseTo(15);
    expect(model.modelFor('fast')).toBe(models.fast);
  });
});
