import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors.ts';
import { type RunStartClaim, RunStartClaimSchema, type RunStartClaims } from '../../core/run-start-claims.ts';

/*
 * Claims in the state table:  pk IDEMPOTENCY#<key>   sk RUN-START   (claim as JSON, expiresAt)
 * `expiresAt` (epoch seconds) is the table's TTL attribute. TTL deletes lazily, so reads ignore an
 * expired claim and a new claim may replace one.
 *
 * Why a claim written before the run rather than one TransactWriteItems of both: the embedded
 * store the local runtime runs on (dynalite) has no transactions, and this order needs none. The
 * claim carries the whole run record, so a claim whose run was never written is finished by the
 * retry that finds it, and a run never exists without its claim.
 */
export function createDynamoDBRunStartClaims(options: {
  client: DynamoDBClient;
  tableName: string;
}): RunStartClaims {
  const doc = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = options.tableName;
  const Key = (key: string) => ({ pk: `IDEMPOTENCY#${key}`, sk: 'RUN-START' });
  const epochSeconds = (at: Date | string) => Math.floor(new Date(at).getTime() / 1000);

  async function get(key: string, now: Date): Promise<RunStartClaim | undefined> {
    const { Item } = await doc.send(new GetCommand({ TableName, Key: Key(key), ConsistentRead: true }));
    if (!Item || (Item.expiresAt as number) <= epochSeconds(now)) return undefined;
    return RunStartClaimSchema.parse(JSON.parse(Item.claim as string));
  }

  return {
    get,
    async claim(claim, now) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...Key(claim.key),
              expiresAt: epochSeconds(claim.expiresAt),
              claim: JSON.stringify(claim),
            },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
            ExpressionAttributeValues: { ':now': epochSeconds(now) },
          }),
        );
        return claim;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      const held = await get(claim.key, now);
      if (!held) throw new ConflictError(`the claim of idempotency key ${claim.key} changed while read`);
      return held;
    },
  };
}
