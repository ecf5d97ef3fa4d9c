import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AiosDev, runAios, startAiosDev } from '../../support/aios-dev.ts';
import {
  type StandIn,
  startApiGatewayStandIn,
  startCloudFormationStandIn,
} from '../../support/aws-stand-ins.ts';

// `aios --target aws` against loopback stand-ins: CloudFormation answers the stack's outputs, an
// API Gateway stage checks every SigV4 signature with the same signing library and forwards to a
// real `aios dev`. So what is asserted is the CLI's own behaviour on AWS, end to end.

const EXAMPLE = fileURLToPath(new URL('../../../playbooks/examples/new-customer.json', import.meta.url));
const REGION = 'eu-west-1';
const OPERATOR = { id: 'AKIAOPERATOR0000TEST', secret: 'operator-secret-key-for-the-stand-in' };
const READER = { id: 'AKIAREADER000000TEST', secret: 'reader-secret-key-for-the-stand-in' };

let dev: AiosDev;
let api: StandIn;
let cloudFormation: StandIn;
let empty: string;

/** The CLI on AWS with exactly these credentials: no profile files, no instance metadata. */
function onAws(args: string[], credentials: Record<string, string> = {}) {
  return runAios(['--target', 'aws', ...args], {
    AWS_ACCESS_KEY_ID: OPERATOR.id,
    AWS_SECRET_ACCESS_KEY: OPERATOR.secret,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url,
    AWS_CONFIG_FILE: join(empty, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(empty, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    // No local token is needed or read on AWS.
    AIOS_DATA_DIR: empty,
    ...credentials,
  });
}

beforeAll(async () => {
  empty = mkdtempSync(join(tmpdir(), 'aios-aws-cli-'));
  dev = await startAiosDev('aios-aws-target-');
  api = await startApiGatewayStandIn({
    keys: {
      [OPERATOR.id]: { secret: OPERATOR.secret, allowed: true },
      [READER.id]: { secret: READER.secret, allowed: false },
    },
    region: REGION,
    stage: 'v1',
    upstream: {
      url: `http://127.0.0.1:${dev.port}`,
      token: readFileSync(join(dev.dataDir, 'api-token'), 'utf8').trim(),
    },
  });
  cloudFormation = await startCloudFormationStandIn({ Aios: { ApiUrl: api.url, StateTableName: 'table' } });
});
afterAll(async () => {
  await Promise.all([api?.close(), cloudFormation?.close(), dev?.stop()]);
  rmSync(empty, { recursive: true, force: true });
});

describe('aios --target aws', () => {
  let runId = '';

  it('approves a waiting step through the signed API, and the run finishes', async () => {
    const started = await dev.aios(['run', 'onboarding', '--input', EXAMPLE, '--no-wait']);
    runId = /(onboarding-\S+)/.exec(started.stdout)?.[1] ?? '';
    expect(runId).not.toBe('');
    let waiting: { approvalId: string }[] = [];
    for (let i = 0; i < 200 && waiting.length === 0; i += 1) {
      const listed = await onAws(['approvals', '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      waiting = JSON.parse(listed.stdout);
      if (waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(waiting).toHaveLength(1);

    const approved = await onAws(['approve', waiting[0]?.approvalId ?? '', '--note', 'from the laptop']);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/approved \(from the laptop\); run onboarding-\S+ goes on/);
    // Every one of those calls went through the stage, signed with the operator's key.
    const decisions = api.requests.filter((r) => r.path.endsWith('/decision'));
    expect(decisions).toEqual([expect.objectContaining({ method: 'POST', accessKeyId: OPERATOR.id })]);
    expect(cloudFormation.requests.every((r) => r.path === 'DescribeStacks')).toBe(true);

    let status = '';
    for (let i = 0; i < 200 && status !== 'SUCCEEDED'; i += 1) {
      status = (JSON.parse((await onAws(['show', runId, '--json'])).stdout) as { run: { status: string } })
        .run.status;
      if (status !== 'SUCCEEDED') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe('SUCCEEDED');
  });

  it('lists runs and shows one with the same output as locally', async () => {
    const [aws, local] = await Promise.all([onAws(['runs']), dev.aios(['runs'])]);
    expect(aws.code).toBe(0);
    expect(aws.stdout).toMatch(new RegExp(`${runId}\\s+onboarding v1\\s+SUCCEEDED`));
    expect(aws.stdout).toBe(local.stdout);
    const shown = await onAws(['show', runId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe((await dev.aios(['show', runId])).stdout);
    const missing = await onAws(['show', 'onboarding-20260101-000000-deadbeef']);
    expect(missing.code).toBe(4);
  });

  it('takes the target from AIOS_TARGET too', async () => {
    const listed = await runAios(['runs', '--json'], {
      AIOS_TARGET: 'aws',
      AWS_ACCESS_KEY_ID: READER.id,
      AWS_SECRET_ACCESS_KEY: READER.secret,
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url,
      AWS_CONFIG_FILE: join(empty, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(empty, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AIOS_DATA_DIR: empty,
    });
    // The reader may not invoke: the refusal shows the request went to the stage, signed.
    expect(listed.code).toBe(2);
    expect(listed.stderr).toMatch(
      /lacks execute-api:Invoke on arn:aws:execute-api:eu-west-1:\S+\/v1\/GET\/runs/,
    );
  });

  it('says the secret access key is wrong when AWS refuses the signature', async () => {
    const { code, stderr } = await onAws(['runs'], { AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    expect(code).toBe(2);
    expect(stderr).toMatch(
      new RegExp(
        `aios: AWS refused the request signature: the secret access key of ${OPERATOR.id} .*AWS_SECRET_ACCESS_KEY`,
      ),
    );
    expect(api.requests.at(-1)).toMatchObject({ path: '/v1/runs', accessKeyId: OPERATOR.id });
  });

  it('exits 3 with a clear message when there are no credentials', async () => {
    const { code, stderr } = await onAws(['runs'], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    expect(code).toBe(3);
    expect(stderr).toMatch(/^aios: no AWS credentials from the default credential chain .*aws configure/);
  });

  it('says so when there is no such stack', async () => {
    const { code, stderr } = await onAws(['--stack', 'Elsewhere', 'runs']);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^aios: no stack Elsewhere in eu-west-1 .*cdk deploy/);
  });
});
