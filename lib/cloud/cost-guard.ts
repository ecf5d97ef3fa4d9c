import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { priceUsd } from '../../functions/adapters/model-pricing.ts';

export interface CostGuardProps {
  /** The Bedrock model (or inference profile) ids the stack may invoke. */
  readonly modelIds: readonly string[];
  /** Model spend per day, in USD, above which the operator hears of it. */
  readonly dailyUsd: number;
}

/** The default of the `aios:dailyCostAlarmUsd` context. */
export const DEFAULT_DAILY_COST_ALARM_USD = 20;

/**
 * The cost guard: each run's budget stops that run before it overspends, but many runs within
 * their budgets (a schedule gone wild, a retry loop) can still add up. This alarm prices Bedrock's
 * own token counts for the stack's models over the last day, with the same price table the
 * budgets use, and fires above the daily ceiling.
 */
export class CostGuard extends Construct {
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CostGuardProps) {
    super(scope, id);
    if (!(props.dailyUsd > 0))
      throw new Error(`aios:dailyCostAlarmUsd must be a positive number, got ${props.dailyUsd}`);
    const period = Duration.hours(24);
    const tokens = (metricName: string, modelId: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Bedrock',
        metricName,
        dimensionsMap: { ModelId: modelId },
        statistic: cloudwatch.Stats.SUM,
        period,
      });
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    const terms: string[] = [];
    [...new Set(props.modelIds)].forEach((modelId, i) => {
      usingMetrics[`in${i}`] = tokens('InputTokenCount', modelId);
      usingMetrics[`out${i}`] = tokens('OutputTokenCount', modelId);
      const perMillionIn = priceUsd(modelId, 1_000_000, 0);
      const perMillionOut = priceUsd(modelId, 0, 1_000_000);
      terms.push(`FILL(in${i}, 0) * ${perMillionIn} + FILL(out${i}, 0) * ${perMillionOut}`);
    });
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmDescription: `aios cost guard: model spend over the last day passed $${props.dailyUsd} (aios:dailyCostAlarmUsd). Look at the runs of the day (aios runs) and their workflows' schedules.`,
      metric: new cloudwatch.MathExpression({
        // Prices per million tokens, so no number is written with an exponent (`e` reads as a metric id).
        expression: `(${terms.join(' + ')}) / 1000000`,
        usingMetrics,
        label: 'Model spend (USD per day)',
        period,
      }),
      threshold: props.dailyUsd,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
