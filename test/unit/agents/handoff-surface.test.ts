import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handoffRoutes } from '../../../functions/api/handoff-routes.ts';
import type { Handoff } from '../../../functions/core/agents/handoff.ts';
import type { ApiClient } from '../../../lib/cli/api-client.ts';
import { handoffCompleteCommand, handoffsCommand } from '../../../lib/cli/handoffs.ts';

const handoff: Handoff = {
  handoffId: 'run-1-h0',
  runId: 'run-1',
  stepIndex: 0,
  stepId: 'draft',
  title: 'Draft the note',
  workflow: 'draft-note',
  kind: 'model.draft',
  status: 'PENDING',
  createdAt: '2026-12-01T10:00:00.000Z',
  input: {},
  outputs: {},
  memories: [],
  prompt: 'p',
  error: 'the model failed 6 times on both tiers',
};

function fakeClient() {
  const calls: [string, string, unknown][] = [];
  const client = {
    async request(method: string, path: string, body?: unknown) {
      calls.push([method, path, body]);
      return path === '/handoffs'
        ? { handoffs: [handoff] }
        : { handoff: { ...handoff, status: 'COMPLETED' } };
    },
  } as unknown as ApiClient;
  return { client, calls };
}

const output = () => {
  const lines: string[] = [];
  return { lines, out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
};

describe('handoff routes and CLI commands (registered in phase 2)', () => {
  it('routes refuse a malformed id before the service sees it, and pass a completion through', async () => {
    const seen: unknown[] = [];
    const routes = handoffRoutes({
      list: async () => [handoff],
      get: async () => handoff,
      complete: async (id, body) => {
        seen.push([id, body]);
        return handoff;
      },
    });
    await expect(routes.complete('../etc', { text: 'x' })).rejects.toMatchObject({ name: 'ValidationError' });
    expect(seen).toEqual([]);
    expect(await routes.complete('run-1-h0', { text: 'x' })).toMatchObject({ status: 200 });
    expect(seen).toEqual([['run-1-h0', { text: 'x' }]]);
    expect((await routes.list()).body).toEqual({ handoffs: [handoff] });
  });

  it('`aios handoffs` lists what waits and how to finish it', async () => {
    const { client } = fakeClient();
    const out = output();
    expect(await handoffsCommand(client, out, { json: false })).toBe(0);
    expect(out.lines[0]).toMatch(/run-1-h0 +draft-note step 1 "Draft the note" \(model\.draft\)/);
    expect(out.lines[0]).toMatch(/aios handoff complete run-1-h0 --text/);
  });

  it('`aios handoff complete` sends --text or the --file contents, and refuses both or neither', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aios-handoff-cli-'));
    try {
      const file = join(dir, 'note.txt');
      writeFileSync(file, 'From a file\n');
      const { client, calls } = fakeClient();
      await handoffCompleteCommand(client, output(), 'run-1-h0', { text: 'Hello', json: false });
      await handoffCompleteCommand(client, output(), 'run-1-h0', { file, json: false });
      expect(calls).toEqual([
        ['POST', '/handoffs/run-1-h0/complete', { text: 'Hello' }],
        ['POST', '/handoffs/run-1-h0/complete', { text: 'From a file\n' }],
      ]);
      await expect(
        handoffCompleteCommand(client, output(), 'run-1-h0', { json: false }),
      ).rejects.toMatchObject({
        exitCode: 2,
      });
      await expect(
        handoffCompleteCommand(client, output(), 'run-1-h0', { text: 'a', file, json: false }),
      ).rejects.toMatchObject({ exitCode: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
