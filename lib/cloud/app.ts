import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AiosStack } from './aios-stack.ts';

/** The stack's name in CloudFormation. */
export const STACK_NAME = 'Aios';

/**
 * The aios CDK app: the `Aios` stack, checked by cdk-nag's AwsSolutions pack on every synth, so
 * an unsuppressed finding fails `cdk synth` and `cdk deploy`. Model ids come from the context
 * keys `aios:modelFast` and `aios:modelSlow`.
 */
export function createAiosApp(props: AppProps = {}): { app: App; stack: AiosStack } {
  const app = new App(props);
  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  };
  const stack = new AiosStack(app, STACK_NAME, {
    description: 'aios: an AI operating system for a one-person company',
    modelFastId: context('aios:modelFast'),
    modelSlowId: context('aios:modelSlow'),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
