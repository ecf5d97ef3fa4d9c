import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_PLAYBOOKS } from '../../functions/shipped-playbooks.ts';
import { AiosFunction } from '../../lib/cloud/aios-function.ts';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { logicalIdOf, synthAios } from './synth.ts';

/**
 * Issue 15, goal 1: every function within 300 KiB. The operator's API and console were 381 and 403
 * KiB as one function each; they are split by route group (functions/api/route-spec.ts), so each
 * loads only the services its routes use.
 */
const GOAL_BYTES = 300 * 1024;
/**
 * The split functions' own ceilings, a little over what each is today, so that growth shows here
 * before it reaches the goal: the shared part (zod, hono, Powertools, the run ports) is about 250
 * KiB of each, and the console's add aws-jwt-verify and hono's JSX.
 */
const SPLIT_CEILINGS: Record<string, number> = {
  'Aios/Api/Handler': 255,
  'Aios/Api/Decisions': 282,
  'Aios/Api/Registry': 285,
  'Aios/Api/Memory': 290,
  'Aios/Console/Pages': 280,
  'Aios/Console/Inbox': 295,
  'Aios/Console/RunControl': 295,
  'Aios/Console/MemoryPages': 240,
};

let stack: AiosStack;
let template: Template;
let assemblyDir: string;

// The one infra test that bundles: every other file synthesizes with placeholder code.
beforeAll(() => {
  const synth = synthAios({ bundle: true });
  ({ stack, template } = synth);
  assemblyDir = synth.app.synth().directory;
});

/** Each aios function with the directory CDK zips and uploads as its code. */
function bundles(): { path: string; dir: string }[] {
  const functions = template.findResources('AWS::Lambda::Function');
  return stack.node
    .findAll()
    .filter((construct): construct is AiosFunction => construct instanceof AiosFunction)
    .map((aios) => {
      const code = functions[logicalIdOf(stack, aios.function)]?.Properties.Code as { S3Key?: string };
      const key = code?.S3Key ?? `no code asset for ${aios.node.path}`;
      return { path: aios.node.path, dir: join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`) };
    });
}

describe('Lambda bundles', () => {
  it('ship one minified ESM file each and no source map', () => {
    const all = bundles();
    expect(all.length).toBeGreaterThanOrEqual(14);
    for (const { path, dir } of all) expect(readdirSync(dir), path).toEqual(['index.mjs']);
  });

  it(`are at most ${GOAL_BYTES / 1024} KiB each, the API's and the console's within their own ceilings`, () => {
    const sizes = Object.fromEntries(
      bundles().map(({ path, dir }) => [path, statSync(join(dir, 'index.mjs')).size]),
    );
    for (const [path, bytes] of Object.entries(sizes)) expect(bytes, path).toBeLessThanOrEqual(GOAL_BYTES);
    for (const [path, kib] of Object.entries(SPLIT_CEILINGS))
      expect(sizes[path], path).toBeLessThanOrEqual(kib * 1024);
    // A small function: zod without its locales, no OpenSearch client, no X-Ray SDK, and neither the
    // playbook schema nor the cron parser (it loads no playbook) hold it near 151 KiB.
    expect(sizes['Aios/Agents/Monitor'], 'Aios/Agents/Monitor').toBeLessThanOrEqual(160 * 1024);
    // The indexer reads memory items only: no run record's schema, no playbook's (near 170 KiB).
    expect(sizes['Aios/Memory/Indexer'], 'Aios/Memory/Indexer').toBeLessThanOrEqual(175 * 1024);
  });

  // Tracing is the Lambda service's (active tracing, asserted in agents.test.ts), not the X-Ray SDK's.
  it('bundle no X-Ray SDK', () => {
    for (const { path, dir } of bundles()) {
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.includes('AWS_XRAY_DAEMON_ADDRESS'), `${path} bundles the X-Ray SDK`).toBe(false);
    }
  });

  // esbuild keeps every import of an external module it bundles past, so a module holding all SDK
  // clients made every function load all of them at a cold start.
  it('load only the SDK clients their function uses', () => {
    const monitor = bundles().find(({ path }) => path === 'Aios/Agents/Monitor');
    const code = readFileSync(join(monitor?.dir ?? 'no monitor', 'index.mjs'), 'utf8');
    for (const client of ['client-bedrock-runtime', 'client-sfn', 'client-sqs'])
      expect(code.includes(`@aws-sdk/${client}`), `the monitor imports ${client}`).toBe(false);
  });

  // Slack's click and a magic link only decide, which sends no email: the SES client was a sixth of
  // the Slack function's cold start, which Slack's 3 s include.
  it('leave the SES client out of the public approval endpoints', () => {
    for (const path of ['Aios/Approvals/Slack', 'Aios/Approvals/Link']) {
      const fn = bundles().find((bundle) => bundle.path === path);
      const code = readFileSync(join(fn?.dir ?? `no ${path}`, 'index.mjs'), 'utf8');
      expect(code.includes('@aws-sdk/client-sesv2'), `${path} imports the SES client`).toBe(false);
    }
  });

  // The executor and the run recorder write to the memory log; their roles reach neither OpenSearch
  // (signed with the credential chain) nor Bedrock (embeddings), so they must not load their clients.
  it('leave the search half of memory out of the functions that only write', () => {
    for (const path of ['Aios/Agents/Executor', 'Aios/Agents/RunRecorder']) {
      const fn = bundles().find((bundle) => bundle.path === path);
      const code = readFileSync(join(fn?.dir ?? `no ${path}`, 'index.mjs'), 'utf8');
      for (const module of ['client-bedrock-runtime', 'credential-provider-node'])
        expect(code.includes(`@aws-sdk/${module}`), `${path} imports ${module}`).toBe(false);
    }
  });

  // The cron parser (30 KiB) and the full playbook check load only where playbooks are pushed or
  // fires computed; every other function reads stored versions, checked at their push.
  it('leave the cron parser to the functions that push playbooks or compute fires', () => {
    const withCron = bundles()
      .filter(({ dir }) => readFileSync(join(dir, 'index.mjs'), 'utf8').includes('CronPattern'))
      .map(({ path }) => path)
      .sort();
    expect(withCron).toEqual(['Aios/Api/Registry', 'Aios/Registry/Seed', 'Aios/Triggers/ScheduleStart']);
  });

  // Each split function loads the SDK clients of its own routes only: search and models in the
  // memory functions, the scheduler in the registry's, SQS where dead letters are shown.
  it("load only the SDK clients of the API's and the console's own routes", () => {
    const clients = Object.fromEntries(
      bundles().map(({ path, dir }) => [
        path,
        [...readFileSync(join(dir, 'index.mjs'), 'utf8').matchAll(/from\s*"@aws-sdk\/([a-z0-9-]+)"/g)]
          .map((m) => m[1])
          .filter((c, i, all) => all.indexOf(c) === i)
          .sort(),
      ]),
    );
    const without = (path: string, ...modules: string[]) => {
      for (const module of modules) expect(clients[path], `${path} imports ${module}`).not.toContain(module);
    };
    for (const path of ['Aios/Api/Handler', 'Aios/Console/Pages'])
      without(path, 'client-bedrock-runtime', 'credential-provider-node', 'client-sesv2', 'client-scheduler');
    without(
      'Aios/Api/Registry',
      'client-bedrock-runtime',
      'credential-provider-node',
      'client-sesv2',
      'client-sqs',
    );
    // Deciding and withdrawing send no email (asking and escalating are the approvals functions').
    for (const path of ['Aios/Api/Decisions', 'Aios/Console/Inbox', 'Aios/Console/RunControl'])
      without(path, 'client-bedrock-runtime', 'client-scheduler', 'client-sqs', 'client-sesv2');
    without('Aios/Console/MemoryPages', 'client-sfn', 'client-sqs', 'client-sesv2', 'client-scheduler');
    expect(clients['Aios/Api/Registry']).toContain('client-scheduler');
    expect(clients['Aios/Api/Memory']).toContain('client-bedrock-runtime');
  });

  // Booleans, not the code: a failure must not print a megabyte of minified JavaScript.
  it('leave the AWS SDK to the Lambda runtime and no zod locale but English', () => {
    for (const { path, dir } of bundles()) {
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      // The console's authorizer reads a cookie and a JWKS, and touches no table.
      expect(/from\s*"@aws-sdk\/client-dynamodb"/.test(code), `${path} imports the DynamoDB client`).toBe(
        path !== 'Aios/Console/Authorizer',
      );
      // The DynamoDB client's wire protocol prefix: present only if the client itself were bundled.
      expect(code.includes('DynamoDB_20120810'), `${path} bundles the DynamoDB client`).toBe(false);
      // From zod's German messages (esbuild escapes the umlauts): present only with every locale bundled.
      expect(code.includes('Eingabe: erwartet'), `${path} bundles zod's locales`).toBe(false);
    }
  });

  // Every function reads the registry (seeded at deploy by a custom resource), so a playbook pushed
  // later is what runs: a bundled copy would be a second truth.
  it('hold no shipped playbook', () => {
    const descriptions = SHIPPED_PLAYBOOKS.map((p) => (p as { description: string }).description);
    for (const { path, dir } of bundles()) {
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      for (const description of descriptions)
        expect(code.includes(description), `${path} bundles "${description}"`).toBe(false);
    }
  });
});
