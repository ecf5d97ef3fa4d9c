import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDBCircuitBreaker } from '../../functions/adapters/aws/dynamodb-circuit-breaker.ts';
import { createDynamoDBRateLimiter } from '../../functions/adapters/aws/dynamodb-rate-limiter.ts';
import { stateUpsertConnector } from '../../functions/connectors/state-upsert.ts';
import type { GrantSigner } from '../../functions/core/capability.ts';
import { catalogueOf } from '../../functions/core/connector.ts';
import type { RateLimit, StateStore } from '../../functions/core/ports.ts';
import { createGatewayHandler, type GatewayHandlerDeps } from '../../functions/gateway/gateway-handler.ts';
import { TABLE_NAMES } from '../../lib/local/table-definitions.ts';

/**
 * The gateway handler as it runs on the embedded store, with state.upsert as its one connector and
 * the DynamoDB rate limiter, circuit breaker and Powertools idempotency record on the same client:
 * what the request counts (the gateway bench, requests-per-action) measure.
 */
export function gatewayOnEmbeddedStore(options: {
  client: DynamoDBClient;
  store: StateStore;
  signer: GrantSigner;
  rateLimit: RateLimit;
  callbacks: GatewayHandlerDeps['callbacks'];
  releaseUntouched?: GatewayHandlerDeps['releaseUntouched'];
}) {
  const { client, store } = options;
  return createGatewayHandler({
    store,
    connectors: catalogueOf([stateUpsertConnector(store)]),
    clock: { now: () => new Date() },
    signer: options.signer,
    limiter: createDynamoDBRateLimiter({ client, tableName: TABLE_NAMES.state }),
    breaker: createDynamoDBCircuitBreaker({ client, tableName: TABLE_NAMES.state }),
    limitsOf: () => ({
      rateLimit: options.rateLimit,
      breaker: { failureThreshold: 5, windowSeconds: 60, openSeconds: 30 },
    }),
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: TABLE_NAMES.idempotency,
      awsSdkV3Client: client,
    }),
    ...(options.releaseUntouched && { releaseUntouched: options.releaseUntouched }),
    callbacks: options.callbacks,
  });
}
