import type { Template } from 'aws-cdk-lib/assertions';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { actionsOf, logicalIdOf, type Statement, statementsOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthAios());
});

const roleOf = (fn: IFunction): IRole => {
  if (!fn.role) throw new Error(`${fn.node.path} has no role`);
  return fn.role;
};
/** What a role is allowed (the explicit Denies on audit entries are tested in state-table-access.test.ts). */
const statements = (fn: IFunction) =>
  statementsOf(template, stack, roleOf(fn)).filter((s) => s.Effect === 'Allow');
const ref = (construct: { node: { defaultChild?: unknown } }) => ({ Ref: logicalIdOf(stack, construct) });
const arn = (construct: { node: { defaultChild?: unknown } }) => ({
  'Fn::GetAtt': [logicalIdOf(stack, construct), 'Arn'],
});
const resourcesOf = (list: Statement[]) =>
  list.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
const withPrefix = (list: Statement[], prefix: string) =>
  list.filter((s) => actionsOf([s]).some((a) => a.startsWith(prefix)));

/** Actions AWS offers no resource-level permissions for; only these may have Resource "*". */
const RESOURCE_STAR_ONLY = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  // The memory indexer's stream event source mapping lists the table's streams.
  'dynamodb:ListStreams',
]);

describe('IAM: every policy in the stack', () => {
  it('uses Resource "*" only for actions that support nothing narrower', () => {
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
    );
    const starActions = actionsOf(all.filter((s) => resourcesOf([s]).includes('*')));
    expect(starActions.length).toBeGreaterThan(0);
    expect(starActions.filter((a) => !RESOURCE_STAR_ONLY.has(a))).toEqual([]);
  });

  it('uses no wildcard actions', () => {
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
    );
    expect(actionsOf(all).filter((a) => a.includes('*'))).toEqual([]);
  });

  it('gives every function a role of its own with no managed policies', () => {
    const fns = [
      stack.agents.planner,
      stack.agents.executor,
      stack.agents.monitor,
      stack.agents.runRecorder,
      stack.gateway.function,
      ...Object.values(stack.api.functions),
      ...Object.values(stack.console.functions),
    ];
    const roleIds = fns.map((fn) => logicalIdOf(stack, roleOf(fn)));
    expect(new Set(roleIds).size).toBe(fns.length);
    const roles = template.findResources('AWS::IAM::Role');
    for (const id of roleIds) expect(roles[id]?.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('IAM: the agents', () => {
  it.each([
    ['planner', () => stack.agents.planner],
    ['executor', () => stack.agents.executor],
    ['monitor', () => stack.agents.monitor],
    ['run recorder', () => stack.agents.runRecorder],
  ])(
    'the %s reaches only the state table, its log group, X-Ray, (planner) Bedrock and (executor) the grant key',
    (name, fn) => {
      const services = new Set(actionsOf(statements(fn())).map((a) => a.split(':')[0]));
      const allowed = new Set([
        'dynamodb',
        'logs',
        'xray',
        'bedrock',
        ...(name === 'executor' ? ['secretsmanager'] : []),
        // The planner searches memory in the OpenSearch domain.
        ...(name === 'planner' ? ['es'] : []),
      ]);
      expect([...services].filter((s) => !allowed.has(s as string))).toEqual([]);
      // The planner reads memory; the run recorder writes run summaries to the memory log, and the
      // executor an approved draft (and the operator's edit) when the approval is taken up.
      const memory = name === 'planner' || name === 'run recorder' || name === 'executor';
      const tables = [
        arn(stack.state.table),
        { 'Fn::Join': ['', [arn(stack.state.table), '/index/*']] },
        ...(memory
          ? [arn(stack.memory.table), { 'Fn::Join': ['', [arn(stack.memory.table), '/index/*']] }]
          : []),
      ];
      const reached = resourcesOf(withPrefix(statements(fn()), 'dynamodb:'));
      expect(reached).toHaveLength(tables.length);
      expect(reached).toEqual(expect.arrayContaining(tables));
    },
  );

  it('only the executor and the gateway may read the grant-signing key, and only that secret', () => {
    const secretArn = { Ref: logicalIdOf(stack, stack.grantKey.secret) };
    for (const fn of [stack.agents.executor, stack.gateway.function]) {
      const reads = withPrefix(statements(fn), 'secretsmanager:').filter((s) =>
        [s.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(secretArn)),
      );
      expect(actionsOf(reads)).toContain('secretsmanager:GetSecretValue');
    }
    for (const fn of [
      stack.agents.planner,
      stack.agents.monitor,
      stack.agents.runRecorder,
      stack.api.function,
    ]) {
      expect(withPrefix(statements(fn), 'secretsmanager:')).toEqual([]);
    }
  });

  it("only the planner and the api's memory function (for a replay that asks the models again) may call Bedrock", () => {
    for (const fn of [
      stack.agents.executor,
      stack.agents.monitor,
      stack.agents.runRecorder,
      stack.api.functions.api,
      stack.api.functions['api-decisions'],
      stack.api.functions['api-registry'],
    ]) {
      expect(withPrefix(statements(fn), 'bedrock:')).toEqual([]);
    }
  });

  it.each([
    ['planner', () => stack.agents.planner],
    ['api-memory', () => stack.api.functions['api-memory']],
  ])(
    'the %s may invoke exactly the two configured models (and memory embeddings), nothing else',
    (_, fnOf) => {
      const bedrock = withPrefix(statements(fnOf()), 'bedrock:');
      expect([...new Set(actionsOf(bedrock))]).toEqual(['bedrock:InvokeModel']);
      // A foundation model is its ARN in this region; an inference profile (global., us., eu.) is the
      // profile's ARN plus its model in any region, only when called through that profile.
      const baseOf = (id: string) => id.replace(/^(global|us|eu|apac|us-gov)\./, '');
      const configured = [stack.agents.models.fast, stack.agents.models.slow, 'amazon.titan-embed-text-v2:0'];
      const allowed = [...configured, ...configured.map(baseOf)];
      for (const statement of bedrock) {
        for (const resource of resourcesOf([statement])) {
          const text = JSON.stringify(resource);
          expect(
            allowed.some((id) => text.endsWith(`/${id}"]]}`) || text.endsWith(`/${id}"`)),
            text,
          ).toBe(true);
          if (text.includes(':bedrock:*::') || text.includes(':bedrock:::')) {
            expect(JSON.stringify(statement.Condition), text).toContain('bedrock:InferenceProfileArn');
          }
        }
      }
      for (const id of configured)
        expect(
          resourcesOf(bedrock).some((r) => JSON.stringify(r).includes(id)),
          `${id} is invokable`,
        ).toBe(true);
    },
  );

  it('the planner has no SQS or Step Functions permissions', () => {
    expect(withPrefix(statements(stack.agents.planner), 'sqs:')).toEqual([]);
    expect(withPrefix(statements(stack.agents.planner), 'states:')).toEqual([]);
  });
});

describe('IAM: the gateway', () => {
  it('answers task tokens of the run state machine and nothing else in Step Functions', () => {
    const states = withPrefix(statements(stack.gateway.function), 'states:');
    expect(actionsOf(states).sort()).toEqual([
      'states:SendTaskFailure',
      'states:SendTaskHeartbeat',
      'states:SendTaskSuccess',
    ]);
    expect(resourcesOf(states)).toEqual([ref(stack.orchestrator.stateMachine)]);
  });

  it('cannot start executions', () => {
    expect(actionsOf(statements(stack.gateway.function))).not.toContain('states:StartExecution');
  });

  it('consumes only the action queue and cannot send to it', () => {
    const sqs = withPrefix(statements(stack.gateway.function), 'sqs:');
    expect(resourcesOf(sqs)).toEqual([arn(stack.gateway.queue)]);
    // ChangeMessageVisibility: the handler hands back records it gave up untouched (sqs-release-records.ts).
    expect(actionsOf(sqs)).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']),
    );
    expect(actionsOf(sqs)).not.toContain('sqs:SendMessage');
  });

  it('reads and writes the state and idempotency tables only', () => {
    const tables = resourcesOf(withPrefix(statements(stack.gateway.function), 'dynamodb:'));
    expect(tables).toHaveLength(3);
    expect(tables).toEqual(
      expect.arrayContaining([
        arn(stack.state.table),
        arn(stack.state.idempotencyTable),
        { 'Fn::Join': ['', [arn(stack.state.table), '/index/*']] },
      ]),
    );
  });
});

const TASK_ANSWERS = ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'];
const EXECUTIONS = ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StartExecution'];

describe('IAM: the API', () => {
  // Split by route group, each function may do on the run machine only what its routes do: start
  // runs and read their history (runs, retry, rerun, fire), answer task tokens (the inbox, cancel).
  it.each([
    ['api', EXECUTIONS],
    // A cancel stops the run's execution: only the two functions that cancel may.
    ['api-decisions', [...EXECUTIONS, 'states:StopExecution', ...TASK_ANSWERS]],
    ['api-registry', EXECUTIONS],
    ['api-memory', []],
    ['console', EXECUTIONS],
    ['console-inbox', TASK_ANSWERS],
    ['console-run-control', [...EXECUTIONS, 'states:StopExecution', ...TASK_ANSWERS]],
    ['console-memory', []],
  ])('the %s function may call the run state machine for %j only', (name, expected) => {
    const fn = { ...stack.api.functions, ...stack.console.functions }[name as 'api'];
    const states = withPrefix(statements(fn), 'states:');
    expect(actionsOf(states).sort()).toEqual([...expected].sort());
    const answers = states.filter((s) => actionsOf([s]).includes('states:SendTaskSuccess'));
    if (answers.length > 0) expect(resourcesOf(answers)).toEqual([ref(stack.orchestrator.stateMachine)]);
    const start = states.filter((s) => actionsOf([s]).includes('states:StartExecution'));
    if (start.length === 0) return;
    expect(resourcesOf(start)).toEqual([ref(stack.orchestrator.stateMachine)]);
    // History: only executions of this state machine (execution:<its name>:*).
    const history = states.filter((s) => actionsOf([s]).includes('states:GetExecutionHistory'));
    expect(JSON.stringify(resourcesOf(history))).toMatch(/:execution:.*OrchestratorRunStateMachine.*:\*"/);
    const describe = states.filter((s) => actionsOf([s]).includes('states:DescribeExecution'));
    expect(resourcesOf(describe)).toEqual(resourcesOf(history));
    const stop = states.filter((s) => actionsOf([s]).includes('states:StopExecution'));
    if (stop.length > 0) expect(resourcesOf(stop)).toEqual(resourcesOf(history));
  });

  it('reaches SQS from the runs functions only (the API and the console views), the schedules from the registry only, the models and memory search from the memory functions only', () => {
    const all = { ...stack.api.functions, ...stack.console.functions };
    const reaching = (prefix: string) =>
      Object.entries(all)
        .filter(([, fn]) => withPrefix(statements(fn), prefix).length > 0)
        .map(([name]) => name)
        .sort();
    expect(reaching('sqs:')).toEqual(['api', 'console']);
    expect(reaching('scheduler:')).toEqual(['api-registry']);
    expect(reaching('bedrock:')).toEqual(['api-memory', 'console-memory']);
    expect(reaching('es:')).toEqual(['api-memory', 'console-memory']);
    // The console's memory page reads memory only: no state table at all.
    const env =
      template.findResources('AWS::Lambda::Function')[logicalIdOf(stack, all['console-memory'])]?.Properties
        .Environment.Variables;
    expect(env?.MEMORY_TABLE).toBeDefined();
    expect(env?.STATE_TABLE).toBeUndefined();
  });

  it('reaches SQS only to list and redrive the dead-letter queue', () => {
    const sqs = withPrefix(statements(stack.api.function), 'sqs:');
    const dlq = arn(stack.gateway.deadLetterQueue);
    const queue = arn(stack.gateway.queue);
    for (const statement of sqs) {
      const resources = JSON.stringify(statement.Resource);
      const onDlq = resources === JSON.stringify(dlq);
      const onQueue = resources === JSON.stringify(queue);
      expect(onDlq || onQueue).toBe(true);
      // On the action queue only what a message move task needs: sending the messages back.
      if (onQueue)
        expect(
          actionsOf([statement]).every(
            (a) =>
              a.startsWith('sqs:SendMessage') || a === 'sqs:GetQueueAttributes' || a === 'sqs:GetQueueUrl',
          ),
        ).toBe(true);
    }
    expect(actionsOf(sqs)).toContain('sqs:StartMessageMoveTask');
  });
});
