import type * as z from 'zod';
import { ValidationError } from './errors.ts';
import { expandApiUrl } from './input-placeholders.ts';
import { compileInputSchema, compileRequiredNames, InputSchemaError } from './input-schema.ts';
import type { Workflow } from './schemas.ts';

const compiled = new WeakMap<Workflow, z.ZodType<Record<string, unknown>>>();

/**
 * The zod schema of a workflow's input, compiled once per workflow: what `POST /runs` checks, and
 * what a webhook trigger or a schedule's `trigger.input` is checked against. Throws
 * InputSchemaError when the declared schema cannot work (the catalog reports it at load).
 */
export function inputSchemaOf(workflow: Workflow): z.ZodType<Record<string, unknown>> {
  let schema = compiled.get(workflow);
  if (!schema) {
    schema = workflow.inputSchema
      ? compileInputSchema(workflow.inputSchema)
      : compileRequiredNames(workflow.inputRequired ?? []);
    compiled.set(workflow, schema);
  }
  return schema;
}

/**
 * Checks a run's input against its workflow before anything is written; returns the input as the
 * schema reads it (defaults filled, "12" read as 12 for a number). The error names every bad field.
 */
export function parseRunInput(
  workflow: Workflow,
  input: unknown,
  /** What the fields are named after in the error: `input`, or `body` for a webhook's event. */
  label = 'input',
): Record<string, unknown> {
  const parsed = inputSchemaOf(workflow).safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.flatMap((issue) => {
    const at = (...more: PropertyKey[]) => [label, ...issue.path, ...more].map(String).join('.');
    // One issue per unknown field, so each is named like any other bad field.
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ path: at(key), message: `is not an input of ${workflow.name}` }));
    return [{ path: at(), message: issue.message }];
  });
  throw new ValidationError(
    `${label} of ${workflow.name} is invalid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
    issues,
  );
}

const INPUT_REFERENCE = /\{\{\s*input\.([\w-]+)[\w.-]*\s*\}\}/g;

function inputReferences(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string')
    for (const match of value.matchAll(INPUT_REFERENCE)) into.add(match[1] ?? '');
  else if (Array.isArray(value)) for (const item of value) inputReferences(item, into);
  else if (value !== null && typeof value === 'object')
    for (const item of Object.values(value)) inputReferences(item, into);
  return into;
}

/**
 * What is wrong with a workflow's input declaration, found when the catalog loads rather than half
 * way through a run: a schema that does not compile, or a step that uses `{{input.x}}` where `x`
 * is not declared, or may be absent (neither required nor defaulted).
 */
export function inputProblems(workflow: Workflow): string[] {
  try {
    inputSchemaOf(workflow);
  } catch (error) {
    if (error instanceof InputSchemaError) return [`inputSchema: ${error.message}`];
    throw error;
  }
  const problems = triggerInputProblems(workflow);
  const schema = workflow.inputSchema;
  if (!schema) return problems;
  const required = new Set(schema.required ?? []);
  for (const step of workflow.steps ?? []) {
    for (const name of inputReferences(step.params)) {
      const field =
        schema.properties && Object.hasOwn(schema.properties, name) ? schema.properties[name] : undefined;
      if (!field) problems.push(`step ${step.id} uses {{input.${name}}}, which inputSchema does not declare`);
      else if (!required.has(name) && field.default === undefined)
        problems.push(
          `step ${step.id} uses {{input.${name}}}, which inputSchema neither requires nor gives a default`,
        );
    }
  }
  return problems;
}

/** Stands in for the API's address while a schedule's input is checked at load, before it is known. */
const ANY_API_URL = 'https://aios.invalid';

/** A schedule whose input its own playbook would refuse fails at load, not at its first fire. */
function triggerInputProblems(workflow: Workflow): string[] {
  if (workflow.trigger.type !== 'schedule') return [];
  try {
    parseRunInput(workflow, expandApiUrl(workflow.trigger.input, ANY_API_URL), 'trigger.input');
    return [];
  } catch (error) {
    if (error instanceof ValidationError) return [error.message];
    throw error;
  }
}
