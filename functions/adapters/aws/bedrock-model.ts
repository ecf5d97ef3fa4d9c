import { type BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { ModelPort, ModelRequest, ModelResponse, ModelTier } from '../../core/ports.ts';
import { priceUsd } from '../model-pricing.ts';

export interface BedrockModelOptions {
  client: BedrockRuntimeClient;
  models: Record<ModelTier, string>;
}

/** Bedrock Converse, tiered: the fast tier for cheap calls, the slow tier for planning. */
export function createBedrockModel(options: BedrockModelOptions): ModelPort {
  return {
    async converse(request: ModelRequest): Promise<ModelResponse> {
      const modelId = options.models[request.tier];
      const response = await options.client.send(
        new ConverseCommand({
          modelId,
          system: [{ text: request.system }],
          messages: [{ role: 'user', content: [{ text: request.prompt }] }],
          inferenceConfig: { maxTokens: request.maxTokens, temperature: 0 },
        }),
      );
      const text = (response.output?.message?.content ?? []).map((block) => block.text ?? '').join('');
      return {
        text,
        modelId,
        inputTokens: response.usage?.inputTokens ?? 0,
        outputTokens: response.usage?.outputTokens ?? 0,
      };
    },
    priceUsd,
    modelFor: (tier) => options.models[tier],
  };
}
