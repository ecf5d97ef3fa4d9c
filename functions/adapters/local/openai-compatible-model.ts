import * as z from 'zod';
import { ModelCallError } from '../../core/errors.ts';
import type { ModelPort, ModelRequest, ModelResponse, ModelTier } from '../../core/ports.ts';

export interface OpenAICompatibleOptions {
  /** e.g. http://127.0.0.1:11434/v1 for Ollama */
  baseUrl: string;
  /** The model of the fast tier, and of the slow tier unless `slowModel` names a larger one. */
  model: string;
  slowModel?: string;
  apiKey?: string;
  fetchImpl?: typeof fetch;
  /** A call that has not answered by then is abandoned as a timeout (retryable). */
  timeoutMs?: number;
}

const ChatCompletion = z.object({
  model: z.string().optional(),
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).optional(),
});

const DEFAULT_TIMEOUT_MS = 60_000;
/** Worth another try after a pause: throttled, timed out, or the server's own failure. */
const RETRYABLE_STATUS = (status: number) => status === 408 || status === 429 || status >= 500;

/** Any endpoint that speaks the OpenAI chat completions protocol (Ollama, vLLM, LM Studio, ...). */
export function createOpenAICompatibleModel(options: OpenAICompatibleOptions): ModelPort {
  const fetchImpl = options.fetchImpl ?? fetch;
  const modelFor = (tier: ModelTier) =>
    tier === 'slow' ? (options.slowModel ?? options.model) : options.model;
  return {
    async converse(request: ModelRequest): Promise<ModelResponse> {
      const model = modelFor(request.tier);
      let response: Response;
      try {
        response = await fetchImpl(`${options.baseUrl.replace(/\/$/, '')}/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          },
          body: JSON.stringify({
            model,
            max_tokens: request.maxTokens,
            temperature: 0,
            messages: [
              { role: 'system', content: request.system },
              { role: 'user', content: request.prompt },
            ],
          }),
          signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        });
      } catch (error) {
        // Refused, reset or timed out: the endpoint may be back in a moment.
        throw new ModelCallError(
          `model endpoint ${options.baseUrl} did not answer: ${(error as Error).message}`,
          true,
          {
            cause: error,
          },
        );
      }
      if (!response.ok) {
        throw new ModelCallError(
          `model endpoint ${options.baseUrl} answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
          RETRYABLE_STATUS(response.status),
        );
      }
      const parsed = ChatCompletion.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success) {
        const detail = parsed.error.issues
          .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
          .join('; ');
        throw new ModelCallError(
          `model endpoint ${options.baseUrl} answered something other than a chat completion (${detail})`,
          true,
        );
      }
      const text = parsed.data.choices[0]?.message.content ?? '';
      return {
        text,
        modelId: model,
        inputTokens: parsed.data.usage?.prompt_tokens ?? Math.ceil(request.prompt.length / 4),
        outputTokens: parsed.data.usage?.completion_tokens ?? Math.ceil(text.length / 4),
      };
    },
    priceUsd: () => 0,
    modelFor,
  };
}
