import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cosine } from '../../functions/core/memory/text.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  /** Parsed JSON, or for _bulk the parsed NDJSON lines. */
  body: unknown;
}

interface StoredDoc {
  version: number;
  source: Record<string, unknown>;
}

export interface FakeOpenSearch {
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly templates: Map<string, unknown>;
  readonly indices: Map<string, Map<string, StoredDoc>>;
  readonly aliases: Map<string, string[]>;
  close(): Promise<void>;
}

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

/**
 * A loopback stand-in for an OpenSearch domain: records every request and keeps just enough state
 * (templates, indexes with external versions, aliases) to answer the calls the adapter makes. Its
 * k-NN search is exact cosine with the namespace filter, scored as cosinesimil: (1 + cos) / 2.
 */
export async function startFakeOpenSearch(): Promise<FakeOpenSearch> {
  const requests: RecordedRequest[] = [];
  const templates = new Map<string, unknown>();
  const indices = new Map<string, Map<string, StoredDoc>>();
  const aliases = new Map<string, string[]>();
  const indexesOf = (alias: string) =>
    [...aliases.entries()].filter(([, names]) => names.includes(alias)).map(([index]) => index);

  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const text = await readBody(request);
    const isBulk = url.pathname === '/_bulk';
    const body = text
      ? isBulk
        ? text
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line))
        : JSON.parse(text)
      : undefined;
    requests.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers,
      body,
    });
    const send = (status: number, payload: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(payload));
    };
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = request.method;

    if ((method === 'PUT' || method === 'POST') && parts[0] === '_index_template' && parts[1]) {
      templates.set(parts[1], body);
      return send(200, { acknowledged: true });
    }
    if (method === 'GET' && parts[0] === '_alias' && parts[1]) {
      const found = indexesOf(parts[1]);
      if (found.length === 0) return send(404, { error: `alias [${parts[1]}] missing`, status: 404 });
      return send(
        200,
        Object.fromEntries(found.map((index) => [index, { aliases: { [parts[1] as string]: {} } }])),
      );
    }
    if (method === 'POST' && parts[0] === '_aliases') {
      for (const action of (body as { actions: Record<string, { index: string; alias: string }>[] })
        .actions) {
        const [[op, { index, alias }]] = Object.entries(action) as [
          [string, { index: string; alias: string }],
        ];
        const current = aliases.get(index) ?? [];
        aliases.set(index, op === 'add' ? [...current, alias] : current.filter((a) => a !== alias));
      }
      return send(200, { acknowledged: true });
    }
    if (method === 'GET' && parts[0] === '_cat' && parts[1] === 'indices') {
      const pattern = new RegExp(`^${(parts[2] ?? '*').replace(/\*/g, '.*')}$`);
      return send(
        200,
        [...indices.keys()].filter((i) => pattern.test(i)).map((index) => ({ index })),
      );
    }
    if (isBulk) {
      const lines = body as Record<string, { _index: string; _id: string; version: number }>[];
      const items: unknown[] = [];
      for (let i = 0; i < lines.length; i += 1) {
        const [[op, meta]] = Object.entries(lines[i] ?? {}) as [
          [string, { _index: string; _id: string; version: number }],
        ];
        const docs = indices.get(meta._index) ?? new Map<string, StoredDoc>();
        indices.set(meta._index, docs);
        const existing = docs.get(meta._id);
        if (op === 'index') {
          i += 1;
          const source = lines[i] as Record<string, unknown>;
          if (existing && existing.version >= meta.version) {
            items.push({
              index: { _id: meta._id, status: 409, error: { type: 'version_conflict_engine_exception' } },
            });
          } else {
            docs.set(meta._id, { version: meta.version, source });
            items.push({ index: { _id: meta._id, status: existing ? 200 : 201 } });
          }
        } else if (op === 'delete') {
          if (!existing) items.push({ delete: { _id: meta._id, status: 404 } });
          else if (existing.version > meta.version)
            items.push({
              delete: { _id: meta._id, status: 409, error: { type: 'version_conflict_engine_exception' } },
            });
          else {
            docs.delete(meta._id);
            items.push({ delete: { _id: meta._id, status: 200 } });
          }
        }
      }
      const errors = items.some((item) => Object.values(item as object)[0].status >= 300);
      return send(200, { took: 1, errors, items });
    }
    if (method === 'PUT' && parts.length === 1 && parts[0]) {
      if (indices.has(parts[0]))
        return send(400, { error: { type: 'resource_already_exists_exception' }, status: 400 });
      indices.set(parts[0], new Map());
      return send(200, { acknowledged: true, index: parts[0] });
    }
    if (method === 'DELETE' && parts.length === 1 && parts[0]) {
      indices.delete(parts[0]);
      aliases.delete(parts[0]);
      return send(200, { acknowledged: true });
    }
    if (parts[1] === '_count' && parts[0]) {
      return send(200, { count: indices.get(parts[0])?.size ?? 0 });
    }
    if (parts[1] === '_search' && parts[0]) {
      const target = indices.has(parts[0]) ? parts[0] : indexesOf(parts[0])[0];
      if (!target) return send(404, { error: { type: 'index_not_found_exception' }, status: 404 });
      const query = (body as { query: { knn: { vector: { vector: number[]; k: number; filter: unknown } } } })
        .query.knn.vector;
      const filter = JSON.stringify(query.filter);
      const namespaces = /"terms":\{"namespace":(\[[^\]]*\])/.exec(filter)?.[1];
      const allowed: string[] = namespaces ? JSON.parse(namespaces) : [];
      const hits = [...(indices.get(target) ?? new Map<string, StoredDoc>()).entries()]
        .filter(([, doc]) => allowed.includes(String(doc.source.namespace)))
        .map(([id, doc]) => {
          const { vector, ...source } = doc.source as { vector: number[] };
          return { _index: target, _id: id, _score: (1 + cosine(vector, query.vector)) / 2, _source: source };
        })
        .sort((a, b) => b._score - a._score)
        .slice(0, query.k);
      return send(200, { took: 1, hits: { total: { value: hits.length }, hits } });
    }
    send(400, { error: { type: 'fake_does_not_know', reason: `${method} ${url.pathname}` }, status: 400 });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    templates,
    indices,
    aliases,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
