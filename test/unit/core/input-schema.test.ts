import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../../functions/core/catalog.ts';
import { ValidationError } from '../../../functions/core/errors.ts';
import type { Workflow } from '../../../functions/core/schemas.ts';
import { inputSchemaOf, parseRunInput } from '../../../functions/core/workflow-input.ts';
import { shippedCatalog } from '../../../functions/shipped-playbooks.ts';
import { scenarioWorkflow } from '../../support/local-runtime.ts';

const onboarding = shippedCatalog.get('onboarding') as Workflow;
const goodInput = {
  customerId: 'acme',
  name: 'Acme Studio',
  email: 'billing@acme.example',
  setupFee: 1500,
  crmWebhookUrl: 'http://127.0.0.1:8787/local/webhooks/crm',
};

/** The ValidationError's issues as "path: message", or the input when it passes. */
function check(workflow: Workflow, input: unknown): string[] | Record<string, unknown> {
  try {
    return parseRunInput(workflow, input);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
}

/** A catalog of one scenario workflow with this input schema; throws what loading throws. */
const withSchema = (inputSchema: unknown, overrides: Record<string, unknown> = {}) =>
  createCatalog([scenarioWorkflow({ inputSchema, ...overrides })]).get('scenario') as Workflow;

const loadError = (inputSchema: unknown, overrides: Record<string, unknown> = {}) => {
  try {
    withSchema(inputSchema, overrides);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the catalog loaded');
};

const hook = { hook: { type: 'string', format: 'uri' } };

describe('typed playbook input', () => {
  it('refuses what half-onboarded a customer: a bad email, a fee of "abc", an ftp webhook, all named at once', () => {
    expect(
      check(onboarding, { ...goodInput, email: 'not-an-email', setupFee: 'abc', crmWebhookUrl: 'ftp://x' }),
    ).toEqual([
      'input.email: must be an email address',
      'input.setupFee: must be a number',
      'input.crmWebhookUrl: must be an http or https URL',
    ]);
    expect(check(onboarding, goodInput)).toEqual(goodInput);
  });

  it('names each missing field, each unknown field, and a customer id that is not a slug', () => {
    expect(check(onboarding, { customerId: 'Acme Inc', emial: 'x@y.example' })).toEqual([
      'input.customerId: must match the pattern ^[a-z0-9][a-z0-9-]*$',
      'input.name: is required',
      'input.email: is required',
      'input.setupFee: is required',
      'input.crmWebhookUrl: is required',
      'input.emial: is not an input of onboarding',
    ]);
    expect(check(onboarding, null)).toEqual(['input: must be an object']);
  });

  it('reads a number or boolean given as text, and nothing else', () => {
    const workflow = withSchema({
      type: 'object',
      properties: {
        ...hook,
        fee: { type: 'number', minimum: 0 },
        seats: { type: 'integer', maximum: 10 },
        urgent: { type: 'boolean' },
      },
      required: ['hook', 'fee'],
    });
    expect(check(workflow, { hook: 'https://h.example/x', fee: '12.5', seats: '3', urgent: 'true' })).toEqual(
      {
        hook: 'https://h.example/x',
        fee: 12.5,
        seats: 3,
        urgent: true,
      },
    );
    expect(check(workflow, { hook: 'https://h.example/x', fee: '-1', seats: '2.5', urgent: 'yes' })).toEqual([
      'input.fee: must be at least 0',
      'input.seats: must be a whole number',
      'input.urgent: must be true or false',
    ]);
    expect(check(workflow, { hook: 'https://h.example/x', fee: '', seats: 11 })).toEqual([
      'input.fee: must be a number',
      'input.seats: must be at most 10',
    ]);
  });

  it('fills defaults, checks enums, lengths, lists and nested objects, keeps undeclared fields unless told not to', () => {
    const workflow = withSchema({
      type: 'object',
      properties: {
        ...hook,
        plan: { type: 'string', enum: ['basic', 'pro'], default: 'basic' },
        note: { type: 'string', minLength: 2, maxLength: 5 },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
        address: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
          additionalProperties: false,
        },
      },
      required: ['hook'],
    });
    expect(check(workflow, { hook: 'http://h', extra: 1 })).toEqual({
      hook: 'http://h',
      plan: 'basic',
      extra: 1,
    });
    expect(
      check(workflow, {
        hook: 'http://h',
        plan: 'gold',
        note: 'x',
        tags: ['a', 2],
        address: { town: 'Lyon' },
      }),
    ).toEqual([
      'input.plan: must be one of "basic", "pro"',
      'input.note: must be at least 2 characters',
      'input.tags.1: must be a string',
      'input.address.city: is required',
      'input.address.town: is not an input of scenario',
    ]);
    expect(check(workflow, { hook: 'http://h', tags: ['a', 'b', 'c'] })).toEqual([
      'input.tags: must have at most 2 items',
    ]);
  });

  it('compiles a workflow schema once', () => {
    expect(inputSchemaOf(onboarding)).toBe(inputSchemaOf(onboarding));
  });

  it('keeps the deprecated inputRequired working: present, of any type', () => {
    const workflow = createCatalog([
      { ...scenarioWorkflow(), inputSchema: undefined, inputRequired: ['hook'] },
    ]).get('scenario') as Workflow;
    expect(check(workflow, {})).toEqual(['input.hook: is required']);
    expect(check(workflow, { hook: 42, more: true })).toEqual({ hook: 42, more: true });
  });
});

describe('a playbook whose input schema is wrong does not load', () => {
  it('names a misspelt keyword, an unknown type or format, a bad pattern and impossible bounds', () => {
    const message = loadError({
      type: 'object',
      properties: {
        ...hook,
        a: { type: 'text' },
        b: { type: 'string', format: 'emial' },
        c: { type: 'string', patern: '^x' },
        d: { type: 'string', pattern: '(' },
        e: { type: 'number', minimum: 5, maximum: 1 },
      },
      required: ['hook'],
    });
    expect(message).toMatch(/^playbook scenario is invalid: /);
    expect(message).toContain(
      'inputSchema.properties.a.type: must be string, number, integer, boolean, object or array',
    );
    expect(message).toContain('inputSchema.properties.b.format: must be email or uri');
    expect(message).toContain('inputSchema.properties.c: Unrecognized key: "patern"');
    expect(message).toContain('inputSchema.properties.d.pattern: is not a valid regular expression');
    expect(message).toContain('inputSchema.properties.e.minimum: minimum is greater than maximum');
  });

  it('names a required field that is not declared, a top that is not an object, and a default its field refuses', () => {
    expect(loadError({ type: 'object', properties: hook, required: ['hook', 'email'] })).toContain(
      'required names email, which is not in properties',
    );
    expect(loadError({ type: 'string' })).toContain('the input schema must have type object');
    expect(
      loadError({
        type: 'object',
        properties: { ...hook, fee: { type: 'number', minimum: 0, default: -5 } },
        required: ['hook'],
      }),
    ).toMatch(/inputSchema: default -5 must be at least 0/);
  });

  it('refuses a step that uses an input the schema does not declare, or may leave out', () => {
    expect(loadError({ type: 'object', properties: {} })).toContain(
      'step call-hook uses {{input.hook}}, which inputSchema does not declare',
    );
    expect(loadError({ type: 'object', properties: hook })).toContain(
      'step call-hook uses {{input.hook}}, which inputSchema neither requires nor gives a default',
    );
  });

  it('refuses both inputSchema and the deprecated inputRequired', () => {
    expect(
      loadError({ type: 'object', properties: hook, required: ['hook'] }, { inputRequired: ['hook'] }),
    ).toContain('declare the input once');
  });

  it('loads the shipped playbooks, each with a typed schema', () => {
    for (const workflow of shippedCatalog.list()) {
      expect(workflow.inputSchema?.type).toBe('object');
      expect(workflow.inputRequired).toBeUndefined();
    }
  });
});
