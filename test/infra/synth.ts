import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnRole, IRole } from 'aws-cdk-lib/aws-iam';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { createAiosApp } from '../../lib/cloud/app.ts';

/** The context `cdk synth` gets from cdk.json (feature flags, aios:* settings). */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8'));
  return cdkJson.context ?? {};
}

export interface SynthOptions {
  /** Extra context, e.g. model overrides. */
  readonly context?: Record<string, unknown>;
  /**
   * Run esbuild for every function, as `cdk synth` does. Off by default: no assertion but the bundle
   * test looks at the code, and bundling is most of a synth's time (about 15 s of 20 per file here).
   */
  readonly bundle?: boolean;
}

export interface Synth {
  readonly app: App;
  readonly stack: AiosStack;
  readonly template: Template;
}

/**
 * One synth per context and test process: a synth is seconds of CPU, and the infra files share a
 * process (isolate: false in vitest.config.ts), so most of them find the app already built. What
 * they share is read-only to them: the template is frozen, so a test that changed it would throw.
 */
const synths = new Map<string, Synth>();

/**
 * Synthesizes the app exactly as bin/app.ts does, with the cdk.json context and the cdk-nag
 * plugin; a validation failure throws here (and nothing is kept). Function code is a placeholder
 * asset unless `bundle`; a bundled synth is never shared, its test reads the assembly it writes.
 */
export function synthAios(options: SynthOptions = {}): Synth {
  if (options.bundle) return synthOnce(options);
  const key = JSON.stringify(options.context ?? {});
  const known = synths.get(key);
  if (known) return known;
  const synth = synthOnce(options);
  synths.set(key, synth);
  return synth;
}

function synthOnce(options: SynthOptions): Synth {
  const context: Record<string, unknown> = { ...cdkJsonContext(), ...options.context };
  if (!options.bundle) context['aws:cdk:bundling-stacks'] = [];
  const { app, stack } = createAiosApp({ context });
  const template = Template.fromStack(stack);
  deepFreeze(template.toJSON());
  return { app, stack, template };
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every statement of every inline policy attached to `role` in the template. */
export function statementsOf(template: Template, stack: Stack, role: IRole | undefined): Statement[] {
  if (!role) throw new Error('expected a role');
  const roleLogicalId = stack.getLogicalId(role.node.defaultChild as CfnRole);
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleLogicalId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (statements: Statement[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

/** The logical id a construct's default CloudFormation resource gets in the template. */
export function logicalIdOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}
