import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { LinkTokenUses } from '../../approvals/email/link-token.ts';

export interface DynamoDBLinkTokenUsesOptions {
  client: DynamoDBClient;
  /** The state table. */
  tableName: string;
  now?: () => Date;
}

/*
 * One item per used link in the state table:
 *   pk LINK#<nonce>  sk LINK  usedAt (ISO)  expiresAt (epoch s, TTL)
 * TTL may delete the item once the link has expired: an expired link is refused before its nonce is
 * ever looked at, so forgetting it then changes nothing. TTL deletes lazily; until it does, the item
 * still blocks a second use, which is what we want.
 */
const linkKey = (nonce: string) => ({ pk: `LINK#${nonce}`, sk: 'LINK' });
/** Kept a day past the link's expiry, so clock skew between writers can never reopen a link. */
const TTL_MARGIN_SECONDS = 86_400;

export function createDynamoDBLinkTokenUses(options: DynamoDBLinkTokenUsesOptions): LinkTokenUses {
  const doc = DynamoDBDocumentClient.from(options.client);
  const TableName = options.tableName;
  const now = options.now ?? (() => new Date());
  return {
    async markUsed(nonce, expiresAt) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...linkKey(nonce),
              usedAt: now().toISOString(),
              expiresAt: Math.ceil(expiresAt / 1000) + TTL_MARGIN_SECONDS,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if (
          error instanceof ConditionalCheckFailedException ||
          (error as Error).name === 'ConditionalCheckFailedException'
        ) {
          return false;
        }
        throw error;
      }
    },
  };
}
