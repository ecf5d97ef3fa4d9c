import { bedrockClient } from '../adapters/aws/bedrock-client.ts';
import { createBedrockModel } from '../adapters/aws/bedrock-model.ts';
import { createDynamoDBReplayStore } from '../adapters/aws/dynamodb-replay-store.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { awsMemorySearch, awsOperatorPorts } from '../api/aws-operator-ports.ts';
import { createApiFunctionApp, createReplayService } from '../app.ts';
import { requireEnv } from '../shared/config.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';

const env = requireEnv(['MODEL_FAST_ID', 'MODEL_SLOW_ID']);
const ports = awsOperatorPorts();
const memory = awsMemorySearch(ports);

/** The API's memory (write, search, history) and replays: the functions of the API that reach OpenSearch and Bedrock. */
export const handler = httpLambdaHandler(
  createApiFunctionApp(['api-memory'], {
    ...ports.runPorts,
    memory,
    // Replays read the run, its journal and the entities' history, and write their record under
    // REPLAY#<runId> (grantReadAppend covers both). `--model current` asks the run's models again
    // (the planner's two, granted to this function too) within API Gateway's 29 s.
    replay: createReplayService({
      store: ports.runPorts.store,
      catalog: ports.runPorts.catalog,
      clock: systemClock,
      operatorPolicy: ports.playbooks.policy,
      replays: createDynamoDBReplayStore({ client: ports.dynamodb, tableName: ports.stateTable }),
      model: createBedrockModel({
        client: bedrockClient(),
        models: { fast: env.MODEL_FAST_ID, slow: env.MODEL_SLOW_ID },
      }),
      memory: memory.service,
    }),
  }),
);
