import { SFNClient } from '@aws-sdk/client-sfn';

/** The Step Functions client, built once per container (one module per client: see clients.ts). */
export const sfnClient = () => new SFNClient({});
