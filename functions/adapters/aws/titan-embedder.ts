import { type BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import type { Embedder } from '../../core/ports/memory.ts';

export const TITAN_EMBED_V2 = 'amazon.titan-embed-text-v2:0';
export type TitanDimensions = 256 | 512 | 1024;

/** Bedrock Titan Text Embeddings V2: one InvokeModel per text, normalised by the service. */
export function createTitanEmbedder(options: {
  client: BedrockRuntimeClient;
  dimensions?: TitanDimensions;
  modelId?: string;
  /** Parallel calls per embed(); Bedrock's per-model rate limits are the ceiling. */
  concurrency?: number;
}): Embedder {
  const dimensions = options.dimensions ?? 1024;
  const modelId = options.modelId ?? TITAN_EMBED_V2;
  const concurrency = options.concurrency ?? 4;

  async function embedOne(text: string): Promise<Float32Array> {
    const response = await options.client.send(
      new InvokeModelCommand({
        modelId,
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify({ inputText: text, dimensions, normalize: true }),
      }),
    );
    const body = JSON.parse(new TextDecoder().decode(response.body)) as { embedding?: unknown };
    if (!Array.isArray(body.embedding) || body.embedding.length !== dimensions) {
      throw new Error(`${modelId} returned no embedding of ${dimensions} dimensions`);
    }
    return Float32Array.from(body.embedding as number[]);
  }

  return {
    modelId,
    dimensions,
    async embed(texts) {
      const out: Float32Array[] = new Array(texts.length);
      let next = 0;
      const worker = async () => {
        while (next < texts.length) {
          const i = next++;
          out[i] = await embedOne(texts[i] as string);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, texts.length) }, worker));
      return out;
    },
  };
}
