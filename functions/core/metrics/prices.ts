/**
 * THE price table behind every cost estimate aios shows: AWS list prices in US dollars for
 * us-east-1, without the free tier, as published when this file was last checked. Update the
 * figures and `PRICES_AS_OF` together; nothing else in aios holds a price of AWS usage (model
 * prices stay with the model port, which knows its models).
 */
export const PRICES_AS_OF = '2026-12-01';

export const AWS_PRICES = {
  /** Step Functions Standard: $0.025 per 1,000 state transitions. */
  stepFunctionsPerTransition: 0.000025,
  /** Lambda on arm64 (the architecture lib/cloud/aios-function.ts deploys): $0.0000133334 per GB-second. */
  lambdaPerGbSecond: 0.0000133334,
  /** Lambda: $0.20 per million requests. */
  lambdaPerRequest: 0.0000002,
  /** SQS standard queue: $0.40 per million requests (64 KiB chunks; an action message is one). */
  sqsPerRequest: 0.0000004,
  /** DynamoDB on-demand: $0.625 per million write request units (1 KiB each). */
  dynamoDbPerWriteUnit: 0.000000625,
} as const;

/**
 * What the estimate assumes where a run records no figure. The agents and the gateway deploy with
 * 512 MB (lib/cloud/agents.ts, gateway.ts); a step's agent call that records no duration is
 * counted at a typical warm invocation.
 */
export const USAGE_ASSUMPTIONS = {
  lambdaMemoryGb: 0.5,
  unmeasuredInvocationMs: 100,
  /** An action message is sent, received and deleted: three SQS requests per gateway attempt. */
  sqsRequestsPerAttempt: 3,
} as const;
