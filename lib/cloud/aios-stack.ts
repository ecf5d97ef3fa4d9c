import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Agents } from './agents.ts';
import { Api } from './api.ts';
import { Gateway } from './gateway.ts';
import { Orchestrator } from './orchestrator.ts';
import { StateTable } from './state-table.ts';

export interface AiosStackProps extends StackProps {
  /** Bedrock model or inference profile ids; default to `DEFAULT_MODELS` in agents.ts. */
  readonly modelFastId?: string;
  readonly modelSlowId?: string;
}

/** The aios foundation. It only wires the constructs; each one owns its defaults and grants. */
export class AiosStack extends Stack {
  public readonly state: StateTable;
  public readonly agents: Agents;
  public readonly gateway: Gateway;
  public readonly orchestrator: Orchestrator;
  public readonly api: Api;

  constructor(scope: Construct, id: string, props: AiosStackProps = {}) {
    super(scope, id, props);

    this.state = new StateTable(this, 'State');
    this.agents = new Agents(this, 'Agents', {
      stateTable: this.state.table,
      modelFastId: props.modelFastId,
      modelSlowId: props.modelSlowId,
    });
    this.gateway = new Gateway(this, 'Gateway', {
      stateTable: this.state.table,
      idempotencyTable: this.state.idempotencyTable,
    });
    this.orchestrator = new Orchestrator(this, 'Orchestrator', {
      planner: this.agents.planner,
      executor: this.agents.executor,
      monitor: this.agents.monitor,
      runRecorder: this.agents.runRecorder,
      actionQueue: this.gateway.queue,
    });
    // Made here, once both exist: the state machine needs the queue URL, the gateway answers
    // the state machine's task tokens. The grant is a policy on the gateway's role, so no cycle.
    this.orchestrator.stateMachine.grantTaskResponse(this.gateway.function);

    this.api = new Api(this, 'Api', {
      stateTable: this.state.table,
      stateMachine: this.orchestrator.stateMachine,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url });
    new CfnOutput(this, 'StateMachineArn', { value: this.orchestrator.stateMachine.stateMachineArn });
    new CfnOutput(this, 'StateTableName', { value: this.state.table.tableName });
    new CfnOutput(this, 'ActionQueueUrl', { value: this.gateway.queue.queueUrl });
  }
}
