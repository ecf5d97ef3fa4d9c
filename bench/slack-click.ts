import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { createDynamoDBPlaybookStore } from '../functions/adapters/aws/dynamodb-playbook-store.ts';
import { systemClock } from '../functions/adapters/system-clock.ts';
import { createPlaybooks } from '../functions/app.ts';
import { APPROVE_ACTION_ID } from '../functions/approvals/slack/blocks.ts';
import { seedRegistry } from '../functions/core/playbooks/seed.ts';
import { SHIPPED_PLAYBOOKS, shippedOperatorPolicy } from '../functions/shipped-playbooks.ts';
import { startEmbeddedDynamoDB } from '../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../lib/local/table-definitions.ts';
import { blockAction, formBody, slackEvent } from '../test/integration/approvals/slack/support.ts';
import { approvalHarness } from '../test/support/approval-harness.ts';
import { SIGNING_SECRET } from '../test/unit/approvals/slack/fixtures.ts';
import { CDK_BUNDLING, HANDLER_ENV, PROJECT_ROOT } from './bundles.ts';

const run = promisify(execFile);

/**
 * Runs in a fresh node: imports the bundled slack-interactions handler (timed), then hands it one
 * signed Approve click (timed to the answer). Slack's Web API calls go to the local fake; the AWS
 * SDK reaches the local stand-ins through AWS_ENDPOINT_URL_* (set by the caller).
 */
const PROBE = `import { readFileSync } from 'node:fs';
const [bundle, eventFile, slackApi] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const realFetch = globalThis.fetch;
globalThis.fetch = (url, init) =>
  realFetch(String(url).replace('https://slack.com/api/', slackApi), init);
const context = {
  awsRequestId: 'bench-click', functionName: 'slack-interactions', functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:slack-interactions',
  memoryLimitInMB: '256', logGroupName: 'bench', logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
};
const cpu = process.cpuUsage();
const start = performance.now();
const { handler } = await import(bundle);
const imported = performance.now();
const answer = await handler(event, context);
const answered = performance.now();
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({
  importMs: imported - start, clickMs: answered - imported, totalMs: answered - start,
  cpuMs: (used.user + used.system) / 1000, statusCode: answer.statusCode, body: answer.body,
}));
process.exit(0);
`;

export interface SlackClickRun {
  importMs: number;
  clickMs: number;
  /** Import and click, wall clock. */
  totalMs: number;
  /** Import and click, CPU time of the handler's process (the services it calls run elsewhere). */
  cpuMs: number;
}

/**
 * What Secrets Manager, Step Functions and the Slack Web API answer the handler with, on loopback:
 * the two secrets, `SendTaskSuccess`, and `chat.update`. Everything else is a 400, so a call the
 * click did not make before would show in the answer.
 */
function startFakeServices(secrets: Record<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const json = (status: number, value: unknown, type = 'application/x-amz-json-1.1') => {
        res.writeHead(status, { 'content-type': type }).end(JSON.stringify(value));
      };
      if (target === 'secretsmanager.GetSecretValue') {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        const value = secrets[SecretId];
        if (value === undefined) return json(400, { __type: 'ResourceNotFoundException' });
        return json(200, { ARN: SecretId, Name: SecretId, SecretString: value, VersionId: 'v1' });
      }
      if (target === 'AWSStepFunctions.SendTaskSuccess') return json(200, {}, 'application/x-amz-json-1.0');
      if (req.url?.startsWith('/slack/chat.update'))
        return json(200, { ok: true, channel: 'C0APPROVALS', ts: '1764590000.000100' }, 'application/json');
      json(400, { __type: 'UnknownOperationException', message: `${target || req.url} is not faked` });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Issue 15, goal 2: the slack-interactions Lambda bundle's cold import plus one signed Approve
 * click answered, in each of `processes` fresh node processes. The click goes the whole way it goes
 * on AWS: the signing secret from Secrets Manager, the approval read and decided in DynamoDB (an
 * embedded DynamoDB-compatible store), the paused run answered through Step Functions, the message
 * updated through the Web API. Each process decides an approval of its own, as a first click does.
 */
export async function benchSlackClick(processes: number): Promise<SlackClickRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'aios-slack-click-'));
  const db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
  const secrets = {
    'bench-slack-signing': SIGNING_SECRET,
    'bench-slack-token': 'xoxb-bench-token',
  };
  const fakes = await startFakeServices(secrets);
  try {
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const outfile = join(dir, 'slack-interactions', 'index.mjs');
    await build({
      ...CDK_BUNDLING,
      metafile: false,
      entryPoints: [join(PROJECT_ROOT, 'functions/slack-interactions/lambda.ts')],
      outfile,
    });
    const tableName = TABLE_NAMES.state;
    await seedRegistry(
      createPlaybooks({
        store: createDynamoDBPlaybookStore({ client: db.client, tableName }),
        clock: systemClock,
      }),
      {
        playbooks: SHIPPED_PLAYBOOKS,
        policy: shippedOperatorPolicy,
      },
    );
    const harness = approvalHarness({ client: db.client, tableName });
    const approver = shippedOperatorPolicy.approvers.slackUserIds[0] ?? 'U0AIOSOPS';
    const fakeUrl = `http://127.0.0.1:${(fakes.address() as AddressInfo).port}`;
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, PROBE);
    const env = {
      PATH: process.env.PATH ?? '',
      ...HANDLER_ENV,
      STATE_TABLE: tableName,
      SLACK_SIGNING_SECRET: 'bench-slack-signing',
      SLACK_BOT_TOKEN_SECRET: 'bench-slack-token',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: fakeUrl,
      AWS_ENDPOINT_URL_SFN: fakeUrl,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    const runs: SlackClickRun[] = [];
    // One discarded round first fills the file cache, as the import bench does.
    for (let round = 0; round <= processes; round += 1) {
      const step = await harness.pausedRun(`bench-click-${round}`);
      const approval = await harness.service.request({ ...step, taskToken: `token-${round}` });
      const body = formBody(blockAction(APPROVE_ACTION_ID, approval.approvalId, approver));
      const timestamp = Math.floor(Date.now() / 1000);
      const eventFile = join(dir, `click-${round}.json`);
      writeFileSync(eventFile, JSON.stringify(slackEvent(body, { timestamp, secret: SIGNING_SECRET })));
      const { stdout } = await run(
        process.execPath,
        [probe, pathToFileURL(outfile).href, eventFile, `${fakeUrl}/slack/`],
        { env, timeout: 60_000 },
      );
      const result = JSON.parse(stdout) as SlackClickRun & { statusCode: number; body: string };
      const decided = await harness.approvals.get(approval.approvalId);
      if (result.statusCode !== 200 || decided?.status !== 'APPROVED')
        throw new Error(
          `the click was not answered as an approval: HTTP ${result.statusCode} ${result.body} (approval ${decided?.status})`,
        );
      const { importMs, clickMs, totalMs, cpuMs } = result;
      if (round > 0) runs.push({ importMs, clickMs, totalMs, cpuMs });
    }
    return runs;
  } finally {
    fakes.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
