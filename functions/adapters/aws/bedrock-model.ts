import {
  type BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { ModelCallError } from '../../core/errors.ts';
import type { ModelPort, ModelRequest, ModelResponse, ModelTier } from '../../core/ports.ts';
import { priceUsd } from '../model-pricing.ts';

export interface BedrockModelOptions {
  client: BedrockRuntimeClient;
  models: Record<ModelTier, string>;
}

/** Throttles, timeouts and the service's own failures are worth another try; a refused request is not. */
const RETRYABLE = new Set([
  'ThrottlingException',
  'ServiceUnavailableException',
  'ModelTimeoutException',
  'InternalServerException',
  'ModelNotReadyException',
  'TimeoutError',
]);

/** Bedrock Converse, tiered: the fast tier for cheap calls, the slow tier for planning. */
export function createBedrockModel(options: BedrockModelOptions): ModelPort {
  return {
    async converse(request: ModelRequest): Promise<ModelResponse> {
      const modelId = options.models[request.tier];
      let response: ConverseCommandOutput;
      try {
        response = await options.client.send(
          new ConverseCommand({
            modelId,
            system: [{ text: request.system }],
            messages: [{ role: 'user', content: [{ text: request.prompt }] }],
            inferenceConfig: { maxTokens: request.maxTokens, temperature: 0 },
          }),
        );
      } catch (error) {
        const name = (error as Error).name;
        throw new ModelCallError(
          `Bedrock ${modelId}: ${name}: ${(error as Error).message}`,
          RETRYABLE.has(name),
          {
            cause: error,
          },
        );
      }
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
