import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';

/** The Bedrock runtime client, built once per container (one module per client: see clients.ts). */
export const bedrockClient = () => new BedrockRuntimeClient({});
