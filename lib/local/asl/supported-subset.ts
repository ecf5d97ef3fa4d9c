import { SUPPORTED_COMPARISONS } from './choice-rules.ts';
import { parseReferencePath } from './json-path.ts';
import { CONTEXT_PATHS } from './payload-template.ts';
import type { ChoiceRule, Json, StateDefinition, StateMachineDefinition } from './types.ts';

// The interpreter runs only what statemachines/*.asl.json use. Anything else would be silently
// ignored or fail mid-run, so a definition that steps outside is refused when it is loaded; to use
// more, add it here and in the interpreter, with a test.

const MACHINE_FIELDS = new Set(['StartAt', 'States', 'Comment']);
const PROCESSOR_FIELDS = new Set([...MACHINE_FIELDS, 'ProcessorConfig']);
const EVERY_STATE = ['Type', 'Comment', 'Next', 'End'];
const STATE_FIELDS: Record<StateDefinition['Type'], ReadonlySet<string>> = {
  Task: new Set([
    ...EVERY_STATE,
    'Resource',
    'Parameters',
    'ResultSelector',
    'ResultPath',
    'Retry',
    'Catch',
    'TimeoutSeconds',
  ]),
  Choice: new Set([...EVERY_STATE, 'Choices', 'Default']),
  Map: new Set([
    ...EVERY_STATE,
    'ItemsPath',
    'ItemSelector',
    'ItemProcessor',
    'MaxConcurrency',
    'ResultPath',
    'Retry',
    'Catch',
  ]),
  Pass: new Set([...EVERY_STATE, 'Parameters']),
  Succeed: new Set(EVERY_STATE),
  Fail: new Set([...EVERY_STATE, 'Error', 'Cause', 'CausePath']),
};
const SUPPORTED_RESOURCE = /^arn:aws:states:::(lambda:invoke|sqs:sendMessage)(\.waitForTaskToken)?$/;
const TEMPLATE_FIELDS = ['Parameters', 'ResultSelector', 'ItemSelector'] as const;
const PATH_FIELDS = ['ResultPath', 'ItemsPath', 'CausePath'] as const;

/** What a definition uses that the interpreter does not run, each naming its state; empty when none. */
export function unsupportedFeatures(machine: StateMachineDefinition): string[] {
  return [...unsupportedIn(machine, MACHINE_FIELDS, '')];
}

function* unsupportedIn(
  machine: StateMachineDefinition,
  allowed: ReadonlySet<string>,
  scope: string,
): Generator<string> {
  const where = scope ? `state '${scope}': ItemProcessor` : 'the state machine';
  yield* unknownFields(machine, allowed, where);
  for (const [name, state] of Object.entries(machine.States))
    yield* unsupportedInState(state, `${scope}${name}`);
}

function* unsupportedInState(state: StateDefinition, name: string): Generator<string> {
  const where = `state '${name}'`;
  const fields = STATE_FIELDS[state.Type];
  if (!fields) {
    yield `${where}: type ${state.Type} is not supported locally`;
    return;
  }
  yield* unknownFields(state, fields, where);
  if (state.Type === 'Task' && !SUPPORTED_RESOURCE.test(state.Resource ?? '')) {
    yield `${where}: resource ${state.Resource} is not supported locally`;
  }
  for (const field of TEMPLATE_FIELDS) {
    const template = state[field];
    if (template !== undefined) yield* unsupportedInTemplate(template, `${where}: ${field}`);
  }
  for (const field of PATH_FIELDS) {
    const path = state[field];
    if (typeof path === 'string' && !parseReferencePath(path)) {
      yield `${where}: ${field} '${path}' is not a reference path; only those are supported locally`;
    }
  }
  for (const rule of state.Choices ?? []) yield* unsupportedInRule(rule, where);
  if (state.ItemProcessor) {
    const mode = state.ItemProcessor.ProcessorConfig?.Mode;
    if (mode && mode !== 'INLINE') yield `${where}: Map mode ${mode} is not supported locally`;
    yield* unsupportedIn(state.ItemProcessor, PROCESSOR_FIELDS, `${name}/`);
  }
}

function* unknownFields(value: object, allowed: ReadonlySet<string>, where: string): Generator<string> {
  for (const field of Object.keys(value)) {
    if (!allowed.has(field)) yield `${where}: field ${field} is not supported locally`;
  }
}

function* unsupportedInRule(rule: ChoiceRule, where: string): Generator<string> {
  for (const key of Object.keys(rule)) {
    if (key === 'Next') continue;
    if (key === 'Variable') {
      if (!parseReferencePath(rule.Variable)) {
        yield `${where}: Choice Variable '${rule.Variable}' is not a reference path; only those are supported locally`;
      }
    } else if (!SUPPORTED_COMPARISONS.has(key)) {
      yield `${where}: Choice rule ${key} is not supported locally`;
    }
  }
}

function* unsupportedInTemplate(template: Json, where: string): Generator<string> {
  if (Array.isArray(template)) {
    for (const item of template) yield* unsupportedInTemplate(item, where);
    return;
  }
  if (template === null || typeof template !== 'object') return;
  for (const [key, value] of Object.entries(template)) {
    if (!key.endsWith('.$') || typeof value !== 'string') {
      yield* unsupportedInTemplate(value, where);
    } else if (/^States\.\w+\s*\(/.test(value.trim())) {
      yield `${where}: intrinsic function ${value.trim().split('(')[0]} is not supported locally`;
    } else if (value.startsWith('$$')) {
      if (!CONTEXT_PATHS.some((path) => value === path || value.startsWith(`${path}.`))) {
        yield `${where}: context path '${value}' is not supported locally (only ${CONTEXT_PATHS.join(', ')})`;
      } else if (!parseReferencePath(value.slice(1))) {
        yield `${where}: '${value}' is not a reference path; only those are supported locally`;
      }
    } else if (!parseReferencePath(value)) {
      yield `${where}: '${value}' is not a reference path; only those are supported locally`;
    }
  }
}
