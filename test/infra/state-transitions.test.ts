import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUN_DEFINITION_PATH } from '../../lib/cloud/orchestrator.ts';
import {
  ALLOWED_STEP,
  pathCost,
  runDefinitionCosts,
  TRANSITION_GOALS,
} from '../../lib/cloud/state-transitions.ts';
import type { StateMachineDefinition } from '../../lib/local/asl/types.ts';

const runDefinition = (): StateMachineDefinition => JSON.parse(readFileSync(RUN_DEFINITION_PATH, 'utf8'));

describe('State transitions and history events of a run on AWS (from statemachines/run.asl.json)', () => {
  it('an allowed step goes through intent, policy, the gateway and the outcome check', () => {
    const { allowedStep, approvedStep } = runDefinitionCosts(runDefinition());
    expect(allowedStep.states).toEqual(
      expect.arrayContaining(['Record intent', 'Check policy', 'Execute action', 'Check outcome']),
    );
    expect(allowedStep.states).not.toContain('Request approval');
    expect(approvedStep.states).toEqual(
      expect.arrayContaining(['Request approval', 'Authorize approved step', 'Execute action']),
    );
    expect(approvedStep.states.indexOf('Request approval')).toBeLessThan(
      approvedStep.states.indexOf('Execute action'),
    );
  });

  it(`an allowed step costs at most ${TRANSITION_GOALS.allowedStep} transitions, an approved one at most ${TRANSITION_GOALS.approvedStep}`, () => {
    const { allowedStep, approvedStep } = runDefinitionCosts(runDefinition());
    expect(allowedStep.transitions).toBeLessThanOrEqual(TRANSITION_GOALS.allowedStep);
    expect(approvedStep.transitions).toBeLessThanOrEqual(TRANSITION_GOALS.approvedStep);
  });

  it('a model step is routed by the executor and never reaches the gateway', () => {
    const { modelStep } = runDefinitionCosts(runDefinition());
    expect(modelStep.states).toEqual([
      'Record intent',
      'Check policy',
      'Run model step',
      'Model answered?',
      'Model step done',
    ]);
  });

  it(`a 20-step run stays under ${TRANSITION_GOALS.historyEventsOf20Steps} history events, approvals included`, () => {
    const { allowedRunOf20, approvedRunOf20 } = runDefinitionCosts(runDefinition());
    expect(allowedRunOf20.historyEvents).toBeLessThanOrEqual(TRANSITION_GOALS.historyEventsOf20Steps);
    expect(approvedRunOf20.historyEvents).toBeLessThanOrEqual(TRANSITION_GOALS.historyEventsOf20Steps);
    expect(approvedRunOf20.historyEvents).toBeGreaterThan(allowedRunOf20.historyEvents);
  });

  it('counts every state entered and the events each state type writes', () => {
    const machine: StateMachineDefinition = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'Route',
            States: {
              Route: {
                Type: 'Choice',
                Choices: [{ Variable: '$.intent.decision', StringEquals: 'allow', Next: 'Wait' }],
                Default: 'Call',
              },
              Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true },
              Wait: {
                Type: 'Task',
                Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
                End: true,
              },
            },
          },
          Next: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    };
    // Map 4 + 3 x (iteration 2 + Choice 2 + waiting Task 6) + Succeed 2 = 36 events (runCost adds the
    // execution's own two); Map + 3 x (Choice + Task) + Succeed = 8 transitions.
    const cost = pathCost(machine, ALLOWED_STEP, 3);
    expect(cost).toEqual({ states: ['Each', 'Done'], transitions: 8, historyEvents: 36 });
  });
});
