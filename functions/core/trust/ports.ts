import type { Judgement, ReviewItem } from './schemas.ts';

/** Shadow review items and judgements (a DynamoDB adapter on both runtimes; an in-memory double in tests). */
export interface TrustStore {
  /** Writes the item once; a second put of the same review id keeps the first. */
  putReview(item: ReviewItem): Promise<void>;
  getReview(reviewId: string): Promise<ReviewItem | undefined>;
  listPendingReviews(): Promise<ReviewItem[]>;
  /** PENDING → JUDGED with the judgement; ConflictError when it was judged already. */
  judgeReview(reviewId: string, judgement: Judgement): Promise<ReviewItem>;
  /** One judgement per run step; a second for the same step is ignored (false). */
  recordJudgement(judgement: Judgement): Promise<boolean>;
  /** A workflow version's judgements, oldest first. */
  listJudgements(workflow: string, workflowVersion: number): Promise<Judgement[]>;
}
