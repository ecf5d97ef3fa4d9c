import { Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import * as z from 'zod';

export interface AlertsProps {
  /** Where alarms are mailed (the `aios:alertEmail` context); unset: the topic has no subscriber yet. */
  readonly alertEmail?: string;
}

const AlertEmailSchema = z.email();

/**
 * Where trouble goes: one SNS topic, mailed to the operator. `notifyOnEvery` makes every alarm in
 * a scope act on it, so an alarm added later cannot be forgotten (a synth test holds that).
 */
export class Alerts extends Construct {
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertsProps = {}) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'aios alerts',
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer key would cost more than the rest of an idle stack; the messages carry only alarm names and states, never data or secrets.',
    });
    if (props.alertEmail !== undefined) {
      if (!AlertEmailSchema.safeParse(props.alertEmail).success)
        throw new Error(`aios:alertEmail must be an email address, got "${props.alertEmail}"`);
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
    }
  }

  /** Every alarm under `scope` notifies the topic when it fires and when it clears. */
  public notifyOnEvery(scope: Construct): void {
    const action = new actions.SnsAction(this.topic);
    for (const alarm of scope.node.findAll()) {
      if (!(alarm instanceof cloudwatch.Alarm)) continue;
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
