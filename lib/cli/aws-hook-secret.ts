import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { webhookSecretName } from '../../functions/adapters/aws/secrets-manager-webhook-secrets.ts';
import type { AwsTarget } from './aws-client.ts';
import { CliError, EXIT } from './errors.ts';

/** A webhook playbook's secret in the deployed stack (the Triggers construct names it after the stack). */
export async function readAwsHookSecret(target: AwsTarget, playbook: string): Promise<string> {
  const client = new SecretsManagerClient({
    ...(target.region ? { region: target.region } : {}),
    ...(target.profile ? { profile: target.profile } : {}),
  });
  const name = webhookSecretName(target.stack, playbook);
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: name }));
    return (SecretString ?? '').trim();
  } catch (error) {
    const { name: kind, message } = error as Error;
    if (kind === 'ResourceNotFoundException')
      throw new CliError(
        `no hook secret ${name}: ${playbook} is no webhook playbook of ${target.stack}`,
        EXIT.notFound,
      );
    throw new CliError(`could not read the hook secret ${name}: ${message}`, EXIT.unreachable);
  } finally {
    client.destroy();
  }
}
