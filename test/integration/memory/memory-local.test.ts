import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  MemoryHistoryEntry,
  MemoryItem,
  MemorySearchResult,
} from '../../../functions/core/memory/schemas.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { api, startTestRuntime } from '../../support/local-runtime.ts';

let runtime: LocalRuntime | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function add(body: Record<string, unknown>): Promise<MemoryItem> {
  const response = await api<{ item: MemoryItem }>(runtime as LocalRuntime, 'POST', '/memory', body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.item;
}

async function search(query: Record<string, string>) {
  const response = await api<MemorySearchResult>(
    runtime as LocalRuntime,
    'GET',
    `/memory/search?${new URLSearchParams(query)}`,
  );
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

const DAY = 86_400_000;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe('memory on the local runtime', () => {
  it('Write → retrieve: each hit has its id, text, origin, score, rank and the index version that answered', async () => {
    runtime = await startTestRuntime();
    const terms = await add({
      namespace: 'customer:acme',
      kind: 'fact',
      text: 'Acme pays invoices net 30',
      origin: { document: 'contract-2026.pdf' },
    });
    await add({ namespace: 'customer:acme', kind: 'fact', text: 'Acme prefers email over phone calls' });

    const result = await search({ q: 'payment terms for invoices', namespace: 'customer:acme' });

    expect(result.indexVersion).toBe('v000001');
    expect(result.hits[0]).toMatchObject({
      rank: 1,
      id: terms.id,
      text: 'Acme pays invoices net 30',
      origin: { document: 'contract-2026.pdf' },
      namespace: 'customer:acme',
    });
    expect(result.hits[0]?.score).toBeGreaterThan(result.hits[1]?.score ?? 1);
    expect(result.hits[0]?.scores.lexical).toBeGreaterThan(0);
    expect(result.hits.map((h) => h.rank)).toEqual([1, 2]);
  });

  it('Supersede: the newer version wins retrieval, the older no longer ranks but shows in history', async () => {
    runtime = await startTestRuntime();
    const first = await add({ namespace: 'customer:acme', kind: 'fact', text: 'Acme pays invoices net 30' });
    const second = await add({
      namespace: 'customer:acme',
      kind: 'fact',
      supersedes: first.id,
      text: 'Acme pays invoices net 45 since the 2026 renewal',
    });
    expect(second).toMatchObject({ id: first.id, version: 2, supersedes: { id: first.id, version: 1 } });

    const result = await search({ q: 'Acme pays invoices net', namespace: 'customer:acme' });
    expect(result.hits.map((h) => [h.id, h.version, h.text])).toEqual([
      [first.id, 2, 'Acme pays invoices net 45 since the 2026 renewal'],
    ]);

    const history = await api<{ versions: MemoryHistoryEntry[] }>(
      runtime,
      'GET',
      `/memory/${first.id}/history`,
    );
    expect(history.status).toBe(200);
    expect(history.body.versions.map((v) => [v.version, v.status, v.text])).toEqual([
      [1, 'superseded', 'Acme pays invoices net 30'],
      [2, 'current', 'Acme pays invoices net 45 since the 2026 renewal'],
    ]);
    expect(history.body.versions[0]?.supersededAt).toBe(second.recordedAt);
    expect((await api(runtime, 'GET', '/memory/mem-nope/history')).status).toBe(404);
  });

  it('Namespace isolation: a search in one customer never returns another customer’s items', async () => {
    runtime = await startTestRuntime();
    await add({ namespace: 'customer:acme', kind: 'fact', text: 'Pays invoices net 30' });
    const globex = await add({ namespace: 'customer:globex', kind: 'fact', text: 'Pays invoices net 30' });
    await add({ namespace: 'operator', kind: 'fact', text: 'Pays invoices net 30' });

    const result = await search({ q: 'Pays invoices net 30', namespace: 'customer:globex', k: '100' });
    expect(result.hits.map((h) => h.id)).toEqual([globex.id]);
    const both = await search({ q: 'Pays invoices', namespace: 'customer:globex,customer:acme' });
    expect(new Set(both.hits.map((h) => h.namespace))).toEqual(new Set(['customer:acme', 'customer:globex']));

    const missing = await api<{ message: string }>(runtime, 'GET', '/memory/search?q=invoices');
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/namespace/);
  });

  it('Reindex: the alias flips to a new version, no item is lost, and results are identical across the flip', async () => {
    runtime = await startTestRuntime();
    const texts = [
      'Acme pays invoices net 30',
      'Acme pays by bank transfer, never by card',
      'Send Acme invoices to billing@acme.example',
      'Acme closes for the holidays in August',
      'Acme invoices need a purchase order number',
    ];
    for (const text of texts) await add({ namespace: 'customer:acme', kind: 'fact', text });
    const replaced = await add({ namespace: 'customer:acme', kind: 'fact', text: 'Acme pays late' });
    await add({
      namespace: 'customer:acme',
      kind: 'fact',
      supersedes: replaced.id,
      text: 'Acme pays on time now',
    });
    const before = await search({ q: 'how does Acme pay invoices', namespace: 'customer:acme' });

    const reindex = await api<{ from: string; to: string; items: number; indexed: number }>(
      runtime,
      'POST',
      '/memory/reindex',
      {},
    );
    expect(reindex.status).toBe(200);
    expect(reindex.body).toMatchObject({ from: 'v000001', to: 'v000002', items: 6, indexed: 6 });
    expect(await runtime.memory.index.currentVersion()).toBe('v000002');
    expect(await runtime.memory.index.count('v000002')).toBe(await runtime.memory.index.count('v000001'));

    const after = await search({ q: 'how does Acme pay invoices', namespace: 'customer:acme' });
    expect(after.indexVersion).toBe('v000002');
    expect(after.hits).toEqual(before.hits);
    expect(after.hits).toHaveLength(6);
  });

  it('TTL expiry and consolidation: expired working memory stops ranking, is summarised into long-term memory and retired', async () => {
    runtime = await startTestRuntime();
    const old = await add({
      namespace: 'customer:acme',
      kind: 'note',
      tier: 'working',
      text: 'Acme asked to move the kickoff call to Thursday',
      validFrom: iso(-3 * DAY),
      ttlDays: 1,
    });
    const fresh = await add({
      namespace: 'customer:acme',
      kind: 'note',
      tier: 'working',
      text: 'Acme wants the kickoff call recorded',
    });
    // Working items carry the DynamoDB TTL attribute: kept 30 days past their validity, then deleted.
    const raw = await runtime.db.client.send(
      new GetItemCommand({
        TableName: TABLE_NAMES.memory,
        Key: { pk: { S: `MEM#${old.id}` }, sk: { S: 'V#0000000001' } },
      }),
    );
    expect(Number(raw.Item?.expiresAt?.N)).toBe(
      Math.floor(Date.parse(old.validUntil ?? '') / 1000) + 30 * 86_400,
    );

    const live = await search({ q: 'Acme kickoff call', namespace: 'customer:acme' });
    expect(live.hits.map((h) => h.id)).toEqual([fresh.id]);

    const report = await api<{ summaries: { id: string; items: number }[]; consolidated: number }>(
      runtime,
      'POST',
      '/memory/consolidate',
      {},
    );
    expect(report.status).toBe(200);
    expect(report.body.consolidated).toBe(1);
    const summaryId = report.body.summaries[0]?.id ?? '';

    const longTerm = await search({
      q: 'Acme kickoff call Thursday',
      namespace: 'customer:acme',
      tier: 'long-term',
    });
    expect(longTerm.hits).toHaveLength(1);
    expect(longTerm.hits[0]).toMatchObject({ id: summaryId, kind: 'summary', tier: 'long-term' });
    expect(longTerm.hits[0]?.text).toContain('Acme asked to move the kickoff call to Thursday');

    const history = await api<{ versions: MemoryHistoryEntry[] }>(
      runtime,
      'GET',
      `/memory/${old.id}/history`,
    );
    expect(history.body.versions.at(-1)).toMatchObject({
      state: 'retired',
      retiredReason: 'consolidated',
      consolidatedInto: summaryId,
    });
    // A second pass finds nothing more to do.
    const again = await api<{ consolidated: number; summaries: unknown[] }>(
      runtime,
      'POST',
      '/memory/consolidate',
      {},
    );
    expect(again.body).toMatchObject({ consolidated: 0, summaries: [] });
  });

  it('No write is lost across a restart: the indexer resumes from its cursor in the log', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aios-memory-restart-'));
    dirs.push(dataDir);
    runtime = await startTestRuntime({ dataDir });
    const before = await add({ namespace: 'operator', kind: 'fact', text: 'The accountant is Jo Bloggs' });
    await runtime.memory.tailer.catchUp();
    // The indexer goes away (a crash); writes still land in the log.
    await runtime.memory.tailer.stop();
    const during = await add({ namespace: 'operator', kind: 'fact', text: 'The bank is Northwind Savings' });
    expect(await runtime.memory.index.indexedVersion?.('v000001', during.id)).toBeUndefined();
    await runtime.close();

    runtime = await startTestRuntime({ dataDir });
    const deadline = Date.now() + 10_000;
    while ((await runtime.memory.index.indexedVersion?.('v000001', during.id)) === undefined) {
      if (Date.now() > deadline) throw new Error('the restarted indexer did not index the write');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await runtime.memory.index.count('v000001')).toBe(2);
    const result = await search({ q: 'bank accountant', namespace: 'operator' });
    expect(result.hits.map((h) => h.id).sort()).toEqual([before.id, during.id].sort());
  });

  it('Bad input is a 400 that names the field, and nothing is written', async () => {
    runtime = await startTestRuntime();
    const bad = await api<{ message: string }>(runtime, 'POST', '/memory', {
      namespace: 'Customer Acme',
      kind: 'fact',
      text: 'x',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/namespace/);
    const page = await runtime.memory.log.read(undefined, 10);
    expect(page.entries).toHaveLength(0);
  });
});
