import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../../core/errors.ts';
import type { TrustStore } from '../../core/trust/ports.ts';
import {
  type Judgement,
  JudgementSchema,
  type ReviewItem,
  ReviewItemSchema,
} from '../../core/trust/schemas.ts';
import { documentClient, queryGsi1 } from './dynamodb-records.ts';

/*
 * Shadow reviews and judgements in the state table, in their run's partition (so the functions
 * held to the RUN# partitions, the approval links and Slack, may write an approval's judgement):
 *   a review item          pk RUN#<runId>   sk REVIEW#<0000 step>
 *   the pending reviews    gsi1pk REVIEWS#PENDING                 gsi1sk <createdAt>#<reviewId>  (while PENDING)
 *   a judgement            pk RUN#<runId>   sk JUDGEMENT#<0000 step>
 *   a version's judgements gsi1pk JUDGEMENTS#<workflow>#v<version> gsi1sk <at>#<runId>#<step>
 */
const PENDING = 'REVIEWS#PENDING';
const step = (n: number) => String(n).padStart(4, '0');
const reviewKey = (runId: string, stepIndex: number) => ({
  pk: `RUN#${runId}`,
  sk: `REVIEW#${step(stepIndex)}`,
});
const judgementsOf = (workflow: string, version: number) => `JUDGEMENTS#${workflow}#v${version}`;

/** `<runId>-r<step>` back to its parts. */
function parseReviewId(reviewId: string): { runId: string; stepIndex: number } {
  const match = /^(.+)-r(\d{1,4})$/.exec(reviewId);
  if (!match) throw new NotFoundError(`review ${reviewId} does not exist`);
  return { runId: match[1] as string, stepIndex: Number(match[2]) };
}

export function createDynamoDBTrustStore(options: { client: DynamoDBClient; tableName: string }): TrustStore {
  const doc = documentClient(options.client);
  const TableName = options.tableName;

  const queryIndex = (partition: string) => queryGsi1(doc, TableName, partition);

  const toReview = (item: Record<string, unknown>): ReviewItem =>
    ReviewItemSchema.parse({
      ...(JSON.parse(item.record as string) as ReviewItem),
      status: item.status,
      ...(typeof item.judgement === 'string' ? { judgement: JSON.parse(item.judgement) } : {}),
    });

  async function getReview(reviewId: string): Promise<ReviewItem | undefined> {
    const { runId, stepIndex } = parseReviewId(reviewId);
    const { Item } = await doc.send(
      new GetCommand({ TableName, Key: reviewKey(runId, stepIndex), ConsistentRead: true }),
    );
    return Item ? toReview(Item) : undefined;
  }

  return {
    async putReview(item) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...reviewKey(item.runId, item.stepIndex),
              gsi1pk: PENDING,
              gsi1sk: `${item.createdAt}#${item.reviewId}`,
              record: JSON.stringify(item),
              status: item.status,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    getReview: (reviewId) =>
      getReview(reviewId).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }),

    async listPendingReviews() {
      // The index is a copy that may lag its item: each listed review is read from its item.
      const ids = (await queryIndex(PENDING)).map((i) =>
        String(i.gsi1sk).slice(String(i.gsi1sk).indexOf('#') + 1),
      );
      const items = await Promise.all(ids.map(getReview));
      return items
        .flatMap((item) => (item?.status === 'PENDING' ? [item] : []))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },

    async judgeReview(reviewId, judgement) {
      const { runId, stepIndex } = parseReviewId(reviewId);
      try {
        const { Attributes } = await doc.send(
          new UpdateCommand({
            TableName,
            Key: reviewKey(runId, stepIndex),
            UpdateExpression: 'SET #status = :judged, judgement = :judgement REMOVE gsi1pk, gsi1sk',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':judged': 'JUDGED',
              ':pending': 'PENDING',
              ':judgement': JSON.stringify(judgement),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return toReview(Attributes as Record<string, unknown>);
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException)
          throw new ConflictError(`review ${reviewId} was judged already (or does not exist)`, {
            cause: error,
          });
        throw error;
      }
    },

    async recordJudgement(judgement) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              pk: `RUN#${judgement.runId}`,
              sk: `JUDGEMENT#${step(judgement.stepIndex)}`,
              gsi1pk: judgementsOf(judgement.workflow, judgement.workflowVersion),
              gsi1sk: `${judgement.at}#${judgement.runId}#${step(judgement.stepIndex)}`,
              judgement: JSON.stringify(judgement),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async listJudgements(workflow, version) {
      const items = await queryIndex(judgementsOf(workflow, version));
      return items
        .map((item): Judgement => JudgementSchema.parse(JSON.parse(item.judgement as string)))
        .sort((a, b) => a.at.localeCompare(b.at));
    },
  };
}
