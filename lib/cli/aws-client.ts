import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { type ApiAuth, type ApiClient, type ApiClientOptions, createHttpApiClient } from './api-client.ts';
import { CliError, EXIT } from './errors.ts';

// The CLI against the deployed stack: the API's address comes from the stack's outputs, and every
// request is SigV4-signed for execute-api with the caller's own AWS credentials (the standard
// chain: environment, profile, SSO, process, container or instance role), since the API is IAM-only.
// This module (and the AWS SDK with it) loads only for --target aws, so local calls stay fast.

export interface AwsTarget {
  /** The CloudFormation stack aios was deployed as (`Aios` unless renamed). */
  stack: string;
  profile?: string;
  region?: string;
}

/** The stack output holding the API's stage URL (lib/cloud/aios-stack.ts). */
export const API_URL_OUTPUT = 'ApiUrl';

type AwsCredentialIdentityProvider = ReturnType<typeof fromNodeProviderChain>;
type AwsCredentialIdentity = Awaited<ReturnType<AwsCredentialIdentityProvider>>;

const who = (target: AwsTarget) =>
  target.profile ? `profile ${target.profile}` : 'the default credential chain';

/** The caller's credentials, once, so a missing or broken setup is told before any request. */
async function credentialsOf(target: AwsTarget): Promise<AwsCredentialIdentityProvider> {
  const provider = fromNodeProviderChain(target.profile ? { profile: target.profile } : {});
  try {
    await provider();
  } catch (error) {
    throw new CliError(
      `no AWS credentials from ${who(target)} (${(error as Error).message}). Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run \`aws configure\` or \`aws sso login\`, or pass --profile.`,
      EXIT.unreachable,
    );
  }
  return provider;
}

/** The stack's outputs by key, and the region it was read in. */
export async function readStackOutputs(
  target: AwsTarget,
  credentials: AwsCredentialIdentityProvider,
): Promise<{ outputs: Record<string, string>; region: string }> {
  const cloudFormation = new CloudFormationClient({
    credentials,
    ...(target.region ? { region: target.region } : {}),
    ...(target.profile ? { profile: target.profile } : {}),
  });
  let region: string;
  try {
    region = await cloudFormation.config.region();
  } catch {
    throw new CliError(
      'no AWS region: pass --region, set AWS_REGION, or give the profile a region',
      EXIT.badInput,
    );
  }
  try {
    const { Stacks: stacks = [] } = await cloudFormation.send(
      new DescribeStacksCommand({ StackName: target.stack }),
    );
    const outputs = Object.fromEntries(
      (stacks[0]?.Outputs ?? []).flatMap((o) =>
        o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [],
      ),
    );
    return { outputs, region };
  } catch (error) {
    const { name, message } = error as Error;
    if (name === 'ValidationError' && /does not exist/.test(message)) {
      throw new CliError(
        `no stack ${target.stack} in ${region} (${who(target)}): deploy it with \`npx cdk deploy\`, or pass --stack and --region`,
        EXIT.unreachable,
      );
    }
    if (/AccessDenied|not authorized/i.test(`${name} ${message}`)) {
      throw new CliError(
        `not allowed to read the stack ${target.stack}: ${message} (the CLI needs cloudformation:DescribeStacks on it)`,
        EXIT.badInput,
      );
    }
    throw new CliError(`could not read the stack ${target.stack} in ${region}: ${message}`, EXIT.unreachable);
  } finally {
    cloudFormation.destroy();
  }
}

/** A 403 from API Gateway's IAM authorisation, told as the thing to fix. */
export function explainRefusal(
  message: string,
  context: { accessKeyId: string; target: AwsTarget },
): CliError | undefined {
  const { accessKeyId, target } = context;
  if (/signature we calculated does not match/i.test(message)) {
    return new CliError(
      `AWS refused the request signature: the secret access key of ${accessKeyId} (${who(target)}) is not the one AWS has for it; check AWS_SECRET_ACCESS_KEY or aws_secret_access_key in the profile`,
      EXIT.badInput,
    );
  }
  if (/security token included in the request is (invalid|expired)|token.*expired/i.test(message)) {
    return new CliError(
      `AWS does not accept the credentials of ${accessKeyId} (${who(target)}): ${message} Renew them (e.g. \`aws sso login\`) and try again`,
      EXIT.badInput,
    );
  }
  const denied = /is not authorized to perform: (\S+) on resource: (\S+)/.exec(message);
  if (denied) {
    const [, action, resource] = denied;
    return new CliError(
      `not allowed: the caller (${who(target)}) lacks ${action} on ${resource}. Allow ${action} on the stack's API for this user or role. AWS said: ${message}`,
      EXIT.badInput,
    );
  }
  if (/missing authentication token|credential should be scoped|not authorized/i.test(message)) {
    return new CliError(`AWS refused the request (${who(target)}): ${message}`, EXIT.badInput);
  }
  return undefined;
}

function sigV4Auth(
  target: AwsTarget,
  region: string,
  credentials: AwsCredentialIdentityProvider,
  current: () => AwsCredentialIdentity | undefined,
): ApiAuth {
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  return {
    async headers({ method, url, headers, body }) {
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { ...headers, host: url.host },
        ...(body !== undefined ? { body } : {}),
      });
      return signed.headers;
    },
    refused: (_status, message) =>
      explainRefusal(message, { accessKeyId: current()?.accessKeyId ?? 'the access key', target }),
    unreachable: (baseUrl) => `cannot reach the aios API of stack ${target.stack} at ${baseUrl}`,
  };
}

/** The API client for the deployed stack: the same routes, output and exit codes as locally. */
export async function createAwsApiClient(
  target: AwsTarget,
  options: ApiClientOptions = {},
): Promise<ApiClient> {
  const chain = await credentialsOf(target);
  let last: AwsCredentialIdentity | undefined;
  const credentials: AwsCredentialIdentityProvider = async (identity) => {
    last = await chain(identity);
    return last;
  };
  const { outputs, region: stackRegion } = await readStackOutputs(target, credentials);
  const apiUrl = outputs[API_URL_OUTPUT];
  if (!apiUrl) {
    throw new CliError(
      `the stack ${target.stack} has no ${API_URL_OUTPUT} output: is it an aios stack, and finished deploying?`,
      EXIT.unreachable,
    );
  }
  // Regional API URLs name their region; a stand-in's address does not, and then it is the stack's.
  const region = /\.execute-api\.([a-z0-9-]+)\./.exec(new URL(apiUrl).hostname)?.[1] ?? stackRegion;
  return createHttpApiClient(
    apiUrl.replace(/\/$/, ''),
    sigV4Auth(target, region, credentials, () => last),
    options,
  );
}
