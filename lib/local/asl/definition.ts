import aslValidator from 'asl-validator';
import { InvalidDefinitionError } from './errors.ts';
import { unsupportedFeatures } from './supported-subset.ts';
import type { StateDefinition, StateMachineDefinition } from './types.ts';

const PLACEHOLDER = /\$\{([A-Za-z0-9_.:-]+)\}/g;

/** Fills `${Name}` placeholders like CDK definitionSubstitutions; throws naming any left unresolved. */
export function substitutePlaceholders(
  stateMachineName: string,
  text: string,
  substitutions: Readonly<Record<string, string>>,
): string {
  const missing = new Set<string>();
  const result = text.replace(PLACEHOLDER, (placeholder, name: string) => {
    const value = substitutions[name];
    if (value === undefined) {
      missing.add(name);
      return placeholder;
    }
    // Placeholders sit inside JSON strings, so the value is escaped as JSON string content.
    return JSON.stringify(value).slice(1, -1);
  });
  if (missing.size > 0) {
    throw new InvalidDefinitionError(stateMachineName, [
      `unresolved substitution(s): ${[...missing].map((name) => `\${${name}}`).join(', ')}`,
    ]);
  }
  return result;
}

// asl-validator compiles its JSON schemas on every call: over 100 ms of CPU, seconds on a busy
// machine. The same definitions come back on every restart and for every interpreter a test makes.
const findingsByText = new Map<string, readonly string[]>();
const MAX_REMEMBERED = 64;

/** asl-validator's findings for a definition (JSON text or parsed); empty when it is valid. */
export function validateDefinition(definition: string | object): string[] {
  const text = typeof definition === 'string' ? definition : JSON.stringify(definition);
  let findings = findingsByText.get(text);
  if (!findings) {
    findings = findingsOf(text);
    if (findingsByText.size >= MAX_REMEMBERED)
      findingsByText.delete(findingsByText.keys().next().value as string);
    findingsByText.set(text, findings);
  }
  return [...findings];
}

function findingsOf(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return [`not valid JSON: ${(error as Error).message}`];
  }
  const { errors } = aslValidator(parsed, { checkPaths: true, checkArn: true });
  return errors.map((error) => `${error['Error code']}: ${error.Message}`);
}

/** Substitutes, parses and validates a definition, and checks it stays within the supported subset. */
export function loadDefinition(
  stateMachineName: string,
  text: string,
  substitutions: Readonly<Record<string, string>>,
): StateMachineDefinition {
  const json = substitutePlaceholders(stateMachineName, text, substitutions);
  const errors = validateDefinition(json);
  if (errors.length > 0) throw new InvalidDefinitionError(stateMachineName, errors);
  const definition = JSON.parse(json) as StateMachineDefinition;
  const unsupported = unsupportedFeatures(definition);
  if (unsupported.length > 0) throw new InvalidDefinitionError(stateMachineName, unsupported);
  return definition;
}

/** The state a frame stands on: `scope` lists the Map states enclosing it, outermost first. */
export function findState(
  machine: StateMachineDefinition,
  scope: readonly string[],
  name: string,
): StateDefinition {
  const state = statesOf(machine, scope)[name];
  if (!state) throw new Error(`State '${name}' not found in ${scope.join('/') || 'the root'}`);
  return state;
}

export function processorOf(
  machine: StateMachineDefinition,
  scope: readonly string[],
): StateMachineDefinition {
  let current = machine;
  for (const mapName of scope) {
    const map = current.States[mapName];
    const processor = map?.ItemProcessor;
    if (!processor) throw new Error(`Map state '${mapName}' has no ItemProcessor`);
    current = processor;
  }
  return current;
}

function statesOf(
  machine: StateMachineDefinition,
  scope: readonly string[],
): Record<string, StateDefinition> {
  return processorOf(machine, scope).States;
}
