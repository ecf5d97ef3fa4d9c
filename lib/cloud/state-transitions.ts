import { chooseNext } from '../local/asl/choice-rules.ts';
import { isWaitForTaskToken } from '../local/asl/task-resources.ts';
import type { Json, StateDefinition, StateMachineDefinition } from '../local/asl/types.ts';

/**
 * What a path through a Standard state machine costs on AWS, computed from the definition: Step
 * Functions bills one state transition per state entered (Choice and Pass included), and a Standard
 * execution keeps at most 25,000 history events.
 */
export interface PathCost {
  /** The states entered, in order (a Map's iterations are counted, not listed). */
  readonly states: readonly string[];
  readonly transitions: number;
  readonly historyEvents: number;
}

/**
 * History events Step Functions writes for a state on the happy path: Entered and Exited, plus for a
 * Task Scheduled, Started and Succeeded (and Submitted when it waits for a task token), plus for a
 * Map Started and Succeeded (its iterations are counted by the caller).
 */
export function historyEventsOf(state: StateDefinition): number {
  switch (state.Type) {
    case 'Task':
      return 2 + 3 + (isWaitForTaskToken(state.Resource ?? '') ? 1 : 0);
    case 'Map':
      return 4;
    default:
      return 2;
  }
}

/** Events of one Map iteration besides its states: MapIterationStarted and MapIterationSucceeded. */
const MAP_ITERATION_EVENTS = 2;
/** ExecutionStarted and ExecutionSucceeded. */
const EXECUTION_EVENTS = 2;

/**
 * Walks `machine` from StartAt to its end. Each Choice decides on `facts` (the fields its rules
 * read, as the states before it would have set them); each Map runs `items` iterations of the path
 * its processor takes on the same facts.
 */
export function pathCost(machine: StateMachineDefinition, facts: Json, items = 0): PathCost {
  const states: string[] = [];
  let transitions = 0;
  let historyEvents = 0;
  let name: string | undefined = machine.StartAt;
  while (name !== undefined) {
    if (states.length > 1000) throw new Error(`the path through ${machine.StartAt} does not end`);
    const state: StateDefinition | undefined = machine.States[name];
    if (!state) throw new Error(`state ${name} is not defined`);
    states.push(name);
    transitions += 1;
    historyEvents += historyEventsOf(state);
    if (state.Type === 'Map') {
      if (!state.ItemProcessor) throw new Error(`Map state ${name} has no ItemProcessor`);
      const iteration = pathCost(state.ItemProcessor, facts);
      transitions += items * iteration.transitions;
      historyEvents += items * (iteration.historyEvents + MAP_ITERATION_EVENTS);
    }
    name = nextOf(name, state, facts);
  }
  return { states, transitions, historyEvents };
}

function nextOf(name: string, state: StateDefinition, facts: Json): string | undefined {
  if (state.Type === 'Choice') {
    const next = chooseNext(state.Choices ?? [], facts) ?? state.Default;
    if (!next) throw new Error(`Choice state ${name} matches none of its rules on ${JSON.stringify(facts)}`);
    return next;
  }
  return state.End ? undefined : state.Next;
}

/** The Map state whose iterations are a run's steps, and the path cost of one step through it. */
export function stepCost(machine: StateMachineDefinition, mapState: string, facts: Json): PathCost {
  const map = machine.States[mapState];
  if (map?.Type !== 'Map' || !map.ItemProcessor) throw new Error(`${mapState} is not a Map state`);
  return pathCost(map.ItemProcessor, facts);
}

/** The run's whole execution: its states outside the Map plus `steps` iterations of the step path. */
export function runCost(machine: StateMachineDefinition, facts: Json, steps: number): PathCost {
  const run = pathCost(machine, facts, steps);
  return { ...run, historyEvents: run.historyEvents + EXECUTION_EVENTS };
}

/** What the Choice states of statemachines/run.asl.json read, for an action step the policy allows. */
export const ALLOWED_STEP: Json = {
  step: { action: { type: 'state.upsert' } },
  intent: { decision: 'allow' },
};
/** The same step when the policy asks the operator first (and the operator approves). */
export const APPROVED_STEP: Json = {
  step: { action: { type: 'state.upsert' } },
  intent: { decision: 'needs-approval' },
};
/** A model step the model answers (the executor routes it; it never passes the gateway). */
export const MODEL_STEP: Json = {
  step: { action: { type: 'model.draft' } },
  intent: { decision: 'model' },
  status: 'done',
};

/** Issue 15, goal 5: the ceilings the run definition must stay under on AWS. */
export const TRANSITION_GOALS = { allowedStep: 4, approvedStep: 6, historyEventsOf20Steps: 1000 } as const;

/** The figures goal 5 is about, for the run definition: per step and for a 20-step run. */
export function runDefinitionCosts(machine: StateMachineDefinition) {
  return {
    allowedStep: stepCost(machine, 'Run each step', ALLOWED_STEP),
    approvedStep: stepCost(machine, 'Run each step', APPROVED_STEP),
    modelStep: stepCost(machine, 'Run each step', MODEL_STEP),
    allowedRunOf20: runCost(machine, ALLOWED_STEP, 20),
    approvedRunOf20: runCost(machine, APPROVED_STEP, 20),
  };
}
