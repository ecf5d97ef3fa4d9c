import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  SHIPPED_PLAYBOOKS,
  shippedCatalog,
  shippedOperatorPolicy,
} from '../../functions/shipped-playbooks.ts';
import { Agents } from './agents.ts';
import { Alerts } from './alerts.ts';
import { API_STAGE, Api } from './api.ts';
import { Approvals } from './approvals.ts';
import { CostGuard, DEFAULT_DAILY_COST_ALARM_USD } from './cost-guard.ts';
import { Gateway } from './gateway.ts';
import { GrantKey } from './grant-key.ts';
import { Hooks } from './hooks.ts';
import { Memory } from './memory.ts';
import { OperatorConsole } from './operator-console.ts';
import { Orchestrator } from './orchestrator.ts';
import { RegistrySeed } from './registry-seed.ts';
import { StateTable } from './state-table.ts';
import { Triggers } from './triggers.ts';

const contextString = (scope: Construct, key: string): string | undefined => {
  const value: unknown = scope.node.tryGetContext(key);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
};

export interface AiosStackProps extends StackProps {
  /** Bedrock model or inference profile ids; default to `DEFAULT_MODELS` in agents.ts. */
  readonly modelFastId?: string;
  readonly modelSlowId?: string;
  /** From address of email.send and its verified SES identity; default to the context keys `aios:emailFrom` and `aios:emailIdentity`. */
  readonly emailFrom?: string;
  readonly emailIdentity?: string;
  /** Slack channel for approval requests; default the context key `aios:slackApprovalsChannel`. */
  readonly slackApprovalsChannel?: string;
  /** Where alarms are mailed; default the context key `aios:alertEmail`. */
  readonly alertEmail?: string;
  /** Model spend per day (USD) above which the cost guard fires; default `aios:dailyCostAlarmUsd`, else 20. */
  readonly dailyCostAlarmUsd?: number;
}

/** The aios foundation. It only wires the constructs; each one owns its defaults and grants. */
export class AiosStack extends Stack {
  public readonly state: StateTable;
  public readonly agents: Agents;
  public readonly gateway: Gateway;
  public readonly orchestrator: Orchestrator;
  public readonly api: Api;
  public readonly approvals: Approvals;
  public readonly grantKey: GrantKey;
  public readonly memory: Memory;
  public readonly triggers: Triggers;
  public readonly hooks: Hooks;
  public readonly costGuard: CostGuard;
  public readonly alerts: Alerts;
  public readonly console: OperatorConsole;
  public readonly registrySeed: RegistrySeed;

  constructor(scope: Construct, id: string, props: AiosStackProps = {}) {
    super(scope, id, props);

    this.state = new StateTable(this, 'State');
    // The functions read playbooks and policy from the registry; each deploy seeds it from playbooks/.
    this.registrySeed = new RegistrySeed(this, 'Registry', {
      stateTable: this.state.table,
      playbooks: SHIPPED_PLAYBOOKS,
      policy: shippedOperatorPolicy,
    });
    this.agents = new Agents(this, 'Agents', {
      stateTable: this.state.table,
      modelFastId: props.modelFastId,
      modelSlowId: props.modelSlowId,
    });
    this.gateway = new Gateway(this, 'Gateway', {
      stateTable: this.state.table,
      idempotencyTable: this.state.idempotencyTable,
      emailFrom: props.emailFrom ?? contextString(this, 'aios:emailFrom'),
      emailIdentity: props.emailIdentity ?? contextString(this, 'aios:emailIdentity'),
    });
    const emailFrom = props.emailFrom ?? contextString(this, 'aios:emailFrom');
    this.approvals = new Approvals(this, 'Approvals', {
      stateTable: this.state.table,
      slackBotToken: this.gateway.slackBotTokenSecret,
      slackChannel: props.slackApprovalsChannel ?? contextString(this, 'aios:slackApprovalsChannel'),
      emailFrom,
      emailIdentity: this.gateway.emailIdentity,
    });
    this.orchestrator = new Orchestrator(this, 'Orchestrator', {
      planner: this.agents.planner,
      executor: this.agents.executor,
      monitor: this.agents.monitor,
      runRecorder: this.agents.runRecorder,
      approvals: this.approvals.requestFunction,
      actionQueue: this.gateway.queue,
    });
    // Made here, once both exist: the state machine needs the queue URL, the gateway answers
    // the state machine's task tokens. The grant is a policy on the gateway's role, so no cycle.
    this.orchestrator.stateMachine.grantTaskResponse(this.gateway.function);
    // The executor mints capability grants, the gateway checks them: one key, read by those two only.
    this.grantKey = new GrantKey(this, 'GrantKey');
    this.grantKey.grantUse(this.agents.executor);
    this.grantKey.grantUse(this.gateway.function);

    this.hooks = new Hooks(this, 'Hooks', {
      stateTable: this.state.table,
      stateMachine: this.orchestrator.stateMachine,
    });
    this.api = new Api(this, 'Api', {
      stateTable: this.state.table,
      stateMachine: this.orchestrator.stateMachine,
      actionQueue: this.gateway.queue,
      deadLetterQueue: this.gateway.deadLetterQueue,
      routeFunctions: {
        'approval-links': this.approvals.linkFunction,
        'slack-interactions': this.approvals.slackFunction,
        hooks: this.hooks.function,
      },
    });

    // Approvals: the request function and the two public endpoints answer the paused steps' tokens;
    // so does the API, for the operator's inbox. Links point at the API's public route.
    // Built from the API's id rather than its stage URL: the stage depends on every method, and one
    // method's function answers task tokens of the state machine that invokes the request function.
    const publicBaseUrl = `https://${this.api.restApi.restApiId}.execute-api.${this.region}.${this.urlSuffix}/${API_STAGE}`;
    this.approvals.bind(this.orchestrator.stateMachine, publicBaseUrl);
    // The operator's inbox answers the paused steps (approvals, handoffs); a cancel withdraws them.
    this.orchestrator.stateMachine.grantTaskResponse(this.api.functions['api-decisions']);
    // `aios replay --model current` asks the run's models again, from the api's memory function.
    this.agents.grantModelsTo(this.api.functions['api-memory']);
    this.bindRunFailureAlerts(props, emailFrom, publicBaseUrl);

    // Schedules and webhook secrets, from the playbooks deployed with this stack.
    this.triggers = new Triggers(this, 'Triggers', {
      stateTable: this.state.table,
      stateMachine: this.orchestrator.stateMachine,
      workflows: shippedCatalog.list(),
      apiUrl: publicBaseUrl,
    });
    this.triggers.grantHookSecrets(this.hooks.function);
    // A pushed playbook's schedule is kept by the API at push time, without a deploy.
    this.triggers.grantScheduleSync(this.api.functions['api-registry']);
    // `aios schedules fire` starts a fire's run from the API: its input's ${AIOS_API_URL} is this API.
    this.api.functions['api-registry'].addEnvironment('AIOS_API_URL', publicBaseUrl);

    // Memory: the planner and the API search it, the run recorder writes run summaries to its log.
    this.memory = new Memory(this, 'Memory', { summaryModelId: this.agents.models.fast });
    this.memory.grantSearch(this.agents.planner);
    this.memory.grantSearch(this.api.functions['api-memory']);
    this.memory.grantWrite(this.agents.runRecorder);
    // An approved draft and the operator's edit go to long-term memory when the approval is taken up.
    this.memory.grantWrite(this.agents.executor);

    // The console on the API behind Cognito: its sign-in, pages, authorizer and dashboard.
    this.console = new OperatorConsole(this, 'Console', {
      operatorEmail: contextString(this, 'aios:operatorEmail'),
      api: this.api,
      publicBaseUrl,
    });
    for (const fn of ['console-inbox', 'console-run-control'] as const)
      this.orchestrator.stateMachine.grantTaskResponse(this.console.functions[fn]);
    this.memory.grantSearch(this.console.functions['console-memory']);

    this.costGuard = new CostGuard(this, 'CostGuard', {
      modelIds: [this.agents.models.fast, this.agents.models.slow],
      dailyUsd:
        props.dailyCostAlarmUsd ??
        // A number in cdk.json, text from `-c aios:dailyCostAlarmUsd=50`.
        Number(this.node.tryGetContext('aios:dailyCostAlarmUsd') ?? DEFAULT_DAILY_COST_ALARM_USD),
    });
    // Last, so it sees every alarm the constructs above made.
    this.alerts = new Alerts(this, 'Alerts', {
      alertEmail: props.alertEmail ?? contextString(this, 'aios:alertEmail'),
    });
    this.alerts.notifyOnEvery(this);

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url });
    new CfnOutput(this, 'StateMachineArn', { value: this.orchestrator.stateMachine.stateMachineArn });
    new CfnOutput(this, 'StateTableName', { value: this.state.table.tableName });
    new CfnOutput(this, 'ActionQueueUrl', { value: this.gateway.queue.queueUrl });
    new CfnOutput(this, 'MemoryTableName', { value: this.memory.table.tableName });
    new CfnOutput(this, 'MemoryEndpoint', { value: this.memory.domain.domainEndpoint });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alerts.topic.topicArn });
    // The two secrets the operator fills after the first deploy (put-secret-value); the others are generated.
    new CfnOutput(this, 'SlackBotTokenSecret', { value: this.gateway.slackBotTokenSecret.secretArn });
    new CfnOutput(this, 'SlackSigningSecret', { value: this.approvals.slackSigningSecret.secretArn });
    new CfnOutput(this, 'MemoryMaintenanceFunction', { value: this.memory.maintenance.functionName });
  }

  /**
   * A failed run (from the run recorder) and a handed-off step (from the planner) tell the
   * operator once each: on Slack (the approvals channel) when one is set, else by email from
   * `aios:emailFrom` to `aios:alertEmail`, with a link to the run.
   */
  private bindRunFailureAlerts(props: AiosStackProps, emailFrom: string | undefined, publicBaseUrl: string) {
    const slackChannel = props.slackApprovalsChannel ?? contextString(this, 'aios:slackApprovalsChannel');
    const alertEmail = props.alertEmail ?? contextString(this, 'aios:alertEmail');
    for (const sender of [this.agents.runRecorder, this.agents.planner]) {
      sender.addEnvironment('RUN_LINK_BASE_URL', publicBaseUrl);
      if (slackChannel) {
        sender.addEnvironment('SLACK_BOT_TOKEN_SECRET', this.gateway.slackBotTokenSecret.secretArn);
        sender.addEnvironment('SLACK_ALERTS_CHANNEL', slackChannel);
        this.gateway.slackBotTokenSecret.grantRead(sender);
      }
      if (emailFrom && alertEmail && this.gateway.emailIdentity) {
        sender.addEnvironment('EMAIL_FROM', emailFrom);
        sender.addEnvironment('ALERT_EMAIL', alertEmail);
        this.gateway.emailIdentity.grant(sender, 'ses:SendEmail');
      }
    }
  }
}
