import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoDBAlertMarks } from '../../../functions/adapters/aws/dynamodb-alert-marks.ts';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import { createEmailOutbox } from '../../../functions/adapters/local/email-outbox.ts';
import { createSlackOutbox } from '../../../functions/adapters/local/slack-outbox.ts';
import { createOperatorAlerts } from '../../../functions/core/operator-alerts.ts';
import type { SlackTransport } from '../../../functions/core/ports/slack-transport.ts';
import type { Clock, StateStore } from '../../../functions/core/ports.ts';
import { createRunRecorder } from '../../../functions/core/run-recorder.ts';
import { operatorChannel } from '../../../functions/notifications/operator-channel.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { runFixture } from '../../support/fixtures.ts';

// A failed run tells the operator once, on their channel, with its failure account and a link:
// whether the failure is recorded twice, by the state machine and the execution-ended event at
// once, or again after the first sender died between its mark and its message.

let db: EmbeddedDynamoDB;
let store: StateStore;
let dir: string;
let seq = 0;
const clock: Clock & { advance(ms: number): void } = (() => {
  let at = Date.parse('2026-12-01T10:00:00.000Z');
  return {
    now: () => new Date(at),
    advance: (ms: number) => {
      at += ms;
    },
  };
})();
const LINK = (runId: string) => `https://console.example/runs/${runId}`;
const ERROR = { Error: 'ConnectorError', Cause: 'the CRM answered 503 three times' };

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
  store = createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state });
});
afterAll(() => db.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aios-alerts-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function runningRun() {
  seq += 1;
  const run = runFixture({ runId: `onboarding-20261201-100000-${String(seq).padStart(8, '0')}` });
  await store.createRun(run);
  return run;
}

/** The Slack outbox, counting every post it is asked for (it would hide a second post of one key). */
function countingSlack(failFirst = false) {
  const outbox = createSlackOutbox({ dir: join(dir, 'slack'), clock });
  const posts: string[] = [];
  let failures = failFirst ? 1 : 0;
  const transport: SlackTransport = {
    ...outbox,
    dedupes: outbox.dedupes,
    async postMessage(message, options) {
      if (failures > 0) {
        failures -= 1;
        throw new Error('the sender died before the message went out');
      }
      posts.push(message.text);
      return outbox.postMessage(message, options);
    },
    deleteMessage: (ref, options) => outbox.deleteMessage(ref, options),
  };
  return { transport, posts };
}

function recorderWith(channel: ReturnType<typeof operatorChannel>, leaseMs = 60_000) {
  const alerts = createOperatorAlerts({
    marks: createDynamoDBAlertMarks({ client: db.client, tableName: TABLE_NAMES.state }),
    channel,
    clock,
    runLink: LINK,
    leaseMs,
  });
  return createRunRecorder({ store, clock, alerts });
}

describe('a failed run tells the operator exactly once', () => {
  it('on Slack when configured, with the failure account and a link, though the failure is recorded twice', async () => {
    const run = await runningRun();
    const slack = countingSlack();
    const recorder = recorderWith(
      operatorChannel({ slack: { transport: slack.transport, channel: '#aios-ops' } }),
    );

    await recorder.fail(run.runId, ERROR);
    await recorder.fail(run.runId, ERROR);
    await recorder.executionEnded(run.runId, 'FAILED', 'States.TaskFailed', 'again');

    expect(slack.posts).toHaveLength(1);
    const files = readdirSync(join(dir, 'slack')).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const posted = JSON.parse(readFileSync(join(dir, 'slack', files[0] ?? ''), 'utf8')) as {
      channel: string;
      text: string;
    };
    const failed = await store.getRun(run.runId);
    expect(posted.channel).toBe('#aios-ops');
    expect(posted.text).toContain(`Run ${run.runId} of onboarding failed`);
    expect(posted.text).toContain(failed?.failure?.account ?? 'no account');
    expect(posted.text).toContain(`Open: ${LINK(run.runId)}`);
  });

  it('once when the state machine and the execution-ended event record the failure at the same time', async () => {
    const run = await runningRun();
    const slack = countingSlack();
    const recorder = recorderWith(
      operatorChannel({ slack: { transport: slack.transport, channel: '#aios-ops' } }),
    );
    await Promise.all([
      recorder.fail(run.runId, ERROR),
      recorder.executionEnded(run.runId, 'FAILED', 'States.TaskFailed', 'x'),
      recorder.fail(run.runId, ERROR),
      recorder.executionEnded(run.runId, 'ABORTED', null, null),
    ]);
    expect(slack.posts).toHaveLength(1);
  });

  it('by email when there is no Slack (an outbox that keeps every send, as SES does)', async () => {
    const run = await runningRun();
    const email = createEmailOutbox({ dir: join(dir, 'email'), clock, dedupes: false });
    const recorder = recorderWith(
      operatorChannel({ email: { transport: email, from: 'aios@acme.example', to: ['ops@acme.example'] } }),
    );
    await recorder.fail(run.runId, ERROR);
    await recorder.fail(run.runId, ERROR);
    const files = readdirSync(join(dir, 'email'));
    expect(files).toHaveLength(1);
    const eml = readFileSync(join(dir, 'email', files[0] ?? ''), 'utf8');
    expect(eml).toMatch(/^To: ops@acme\.example/m);
    expect(eml).toContain(`Subject: [aios] Run ${run.runId} of onboarding failed`);
    expect(eml).toContain((await store.getRun(run.runId))?.failure?.account ?? 'no account');
  });

  it('still tells them when the first sender died after its mark: the next attempt sends once its lease is over', async () => {
    const run = await runningRun();
    const slack = countingSlack(true);
    const recorder = recorderWith(
      operatorChannel({ slack: { transport: slack.transport, channel: '#aios-ops' } }),
      30_000,
    );
    await recorder.fail(run.runId, ERROR);
    expect(slack.posts).toHaveLength(0);
    expect((await store.listJournal(run.runId)).map((e) => e.message)).toContainEqual(
      expect.stringMatching(/could not tell the operator that the run failed: the sender died/),
    );
    // Within the lease, a repeat waits for the first sender rather than sending beside it.
    await recorder.fail(run.runId, ERROR);
    expect(slack.posts).toHaveLength(0);
    clock.advance(30_001);
    await recorder.fail(run.runId, ERROR);
    await recorder.fail(run.runId, ERROR);
    expect(slack.posts).toHaveLength(1);
  });

  it('says nothing of a run that succeeded', async () => {
    const run = await runningRun();
    const slack = countingSlack();
    const recorder = recorderWith(
      operatorChannel({ slack: { transport: slack.transport, channel: '#aios-ops' } }),
    );
    await recorder.finish(run.runId);
    await recorder.executionEnded(run.runId, 'FAILED', 'late', 'late');
    expect(slack.posts).toEqual([]);
  });
});
