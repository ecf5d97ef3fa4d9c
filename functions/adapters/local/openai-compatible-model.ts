import { z } from 'zod';
import type { ModelPort, ModelRequest, ModelResponse } from '../../core/ports.ts';

export interface OpenAICompatibleOptions {
  /** e.g. http://127.0.0.1:11434/v1 for Ollama */
  baseUrl: string;
  model: string;
  apiKey?: string;
  fetchImpl?: typeof fetch;
}

const ChatCompletion = z.object({
  model: z.string().optional(),
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).optional(),
});

/** Any endpoint that speaks the OpenAI chat completions protocol (Ollama, vLLM, LM Studio, ...). */
export function createOpenAICompatibleModel(options: OpenAICompatibleOptions): ModelPort {
  const fetchImpl = options.fetchImpl ?? fetch;
  return {
    async converse(request: ModelRequest): Promise<ModelResponse> {
      const response = await fetchImpl(`${options.baseUrl.replace(/\/$/, '')}/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: options.model,
          max_tokens: request.maxTokens,
          temperature: 0,
          messages: [
            { role: 'system', content: request.system },
            { role: 'user', content: request.prompt },
          ],
        }),
      });
      if (!response.ok) {
        throw new Error(
          `model endpoint ${options.baseUrl} answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
        );
      }
      const body = ChatCompletion.parse(await response.json());
      const text = body.choices[0]?.message.content ?? '';
      return {
        text,
        modelId: options.model,
        inputTokens: body.usage?.prompt_tokens ?? Math.ceil(request.prompt.length / 4),
        outputTokens: body.usage?.completion_tokens ?? Math.ceil(text.length / 4),
      };
    },
    priceUsd: () => 0,
    modelFor: () => options.model,
  };
}
