import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { createDynamoDBStateStore } from '../functions/adapters/aws/dynamodb-state-store.ts';
import { createOfflineModel } from '../functions/adapters/local/offline-model.ts';
import { stateUpsertConnector } from '../functions/connectors/state-upsert.ts';
import { createCatalog } from '../functions/core/catalog.ts';
import { startEmbeddedDynamoDB } from '../lib/local/embedded-dynamodb.ts';
import { startLocalRuntime } from '../lib/local/runtime.ts';
import { TABLE_NAMES } from '../lib/local/table-definitions.ts';
import { upsertWorkflow } from '../test/support/upsert-workflow.ts';
import { DynamoDBCheckpointSaver } from './dynamodb-checkpointer.ts';
import { countRequests, type RequestCounts } from './request-counter.ts';
import { median } from './stats.ts';
import { type RecordedRequest, recordRequests, storeFloor } from './store-floor.ts';

export interface OrchestrationOptions {
  /** Measured runs of the long workflow, after one warm-up run. */
  runs: number;
  steps: number;
}

export interface EngineResult {
  engine: string;
  store: string;
  steps: number;
  /** Wall time of each measured run of `steps` steps. */
  runMs: number[];
  /** Median wall time of a one-step run: the fixed cost of a run, to tell it apart from the per-step cost. */
  oneStepRunMs: number;
  /** Store requests of the last measured run. */
  requests: RequestCounts;
  /** The same requests, as sent, to replay them on the store alone (store-floor.ts). */
  recorded: RecordedRequest[];
}

type RunMeasure = { ms: number; requests: RequestCounts; recorded: RecordedRequest[] };

export const CHECKPOINT_TABLE = 'langgraph-checkpoints';

/**
 * The store alone for the requests of the last measured run of each engine, one after another on
 * a fresh embedded store: how much of a step is the store's, and what is left to the engine.
 */
export async function storeFloors(aios: EngineResult, langGraph: EngineResult) {
  return {
    aios: await storeFloor(aios.recorded),
    aiosInMemory: await storeFloor(aios.recorded, undefined, undefined, 3, 'memory'),
    langGraph: await storeFloor(langGraph.recorded, [TABLE_NAMES.state], (client) =>
      DynamoDBCheckpointSaver.createTable(client, CHECKPOINT_TABLE),
    ),
  };
}

/** Settles writes that trail the end of a run (a queue message deleted after its answer). */
const SETTLE_MS = 50;

/**
 * aios: the real local runtime on a durable data dir, a workflow of `steps` state.upsert steps,
 * each run started through POST /runs and awaited on its execution (no polling of the API).
 */
export async function benchAios(options: OrchestrationOptions): Promise<EngineResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aios-bench-'));
  try {
    const runtime = await startLocalRuntime({
      dataDir,
      port: 0,
      catalog: createCatalog([upsertWorkflow('bench-long', options.steps), upsertWorkflow('bench-one', 1)]),
      model: createOfflineModel(),
      // The poll intervals of `aios dev`: a message sent wakes the gateway's worker, it does not wait for a poll.
    });
    try {
      const counter = countRequests(runtime.db.client);
      const recorder = recordRequests(runtime.db.client);
      const runOnce = async (workflow: string): Promise<RunMeasure> => {
        counter.reset();
        recorder.reset();
        const start = performance.now();
        const response = await fetch(`${runtime.url}/runs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ workflow, input: {} }),
        });
        if (response.status !== 202)
          throw new Error(`POST /runs answered ${response.status}: ${await response.text()}`);
        const { runId } = (await response.json()) as { runId: string };
        const execution = await runtime.stepFunctions.waitForExecution(
          runtime.executionArnFor(runId),
          // A bound, not a target: a 20-step run on a machine shared with other work can be slow.
          600_000,
        );
        const ms = performance.now() - start;
        if (execution.status !== 'SUCCEEDED')
          throw new Error(
            `run ${runId} ended ${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`,
          );
        await sleep(SETTLE_MS);
        return { ms, requests: counter.snapshot(), recorded: recorder.take() };
      };
      return await measure(options, runOnce, 'bench-long', 'bench-one', {
        engine: 'aios (local runtime)',
        store: 'dynalite on disk + durable local queue',
      });
    } finally {
      await runtime.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface LangGraphVariant {
  /** "sync": each checkpoint is stored before the next node starts; "async" (LangGraph's default): while it runs. */
  durability: 'sync' | 'async';
  /** Whether each node does the same state.upsert write as an aios step, through the same connector and store. */
  connectorWrite: boolean;
}

/**
 * LangGraph.js: a StateGraph of `steps` nodes in a chain, compiled with a durable checkpointer
 * on the same embedded store (dynalite on disk) that aios uses, invoked once per thread.
 */
export async function benchLangGraph(
  options: OrchestrationOptions,
  variant: LangGraphVariant,
): Promise<EngineResult> {
  const dir = mkdtempSync(join(tmpdir(), 'langgraph-bench-'));
  try {
    const db = await startEmbeddedDynamoDB({ dir: join(dir, 'db'), tables: [TABLE_NAMES.state] });
    try {
      await DynamoDBCheckpointSaver.createTable(db.client, CHECKPOINT_TABLE);
      const saver = new DynamoDBCheckpointSaver(db.client, CHECKPOINT_TABLE);
      const connector = stateUpsertConnector(
        createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state }),
      );
      const counter = countRequests(db.client);
      const recorder = recordRequests(db.client);
      const graphs = new Map(
        [options.steps, 1].map((steps) => [
          steps,
          chainGraph(steps, variant.connectorWrite ? connector : undefined).compile({ checkpointer: saver }),
        ]),
      );
      let thread = 0;
      const runOnce = async (steps: number): Promise<RunMeasure> => {
        const graph = graphs.get(steps);
        if (!graph) throw new Error(`no graph of ${steps} steps`);
        thread += 1;
        const config = { configurable: { thread_id: `bench-${thread}` } };
        counter.reset();
        recorder.reset();
        const start = performance.now();
        const output = await graph.invoke({ step: 0 }, { ...config, durability: variant.durability });
        const ms = performance.now() - start;
        await sleep(SETTLE_MS);
        const requests = counter.snapshot();
        const recorded = recorder.take();
        // Outside the timing: the run did every step, and its last checkpoint is in the store.
        const saved = await graph.getState(config);
        if (output.step !== steps || saved.values.step !== steps)
          throw new Error(`LangGraph run did ${output.step} steps, checkpoint says ${saved.values.step}`);
        return { ms, requests, recorded };
      };
      const result = await measure(options, runOnce, options.steps, 1, {
        engine: 'LangGraph.js',
        store: `DynamoDBCheckpointSaver (bench) on dynalite on disk, durability ${variant.durability}${
          variant.connectorWrite ? '' : ', node writes state only'
        }`,
      });
      await checkDeleteThread(saver, `bench-${thread}`);
      return result;
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure<W>(
  options: OrchestrationOptions,
  runOnce: (workflow: W) => Promise<RunMeasure>,
  long: W,
  one: W,
  labels: { engine: string; store: string },
): Promise<EngineResult> {
  await runOnce(long); // warm-up: JIT, table files, connection pool
  await runOnce(one);
  const runMs: number[] = [];
  const oneStepMs: number[] = [];
  let requests: RequestCounts | undefined;
  let recorded: RecordedRequest[] = [];
  for (let i = 0; i < options.runs; i += 1) {
    const run = await runOnce(long);
    runMs.push(run.ms);
    requests = run.requests;
    recorded = run.recorded;
    oneStepMs.push((await runOnce(one)).ms);
  }
  if (!requests) throw new Error('no measured run');
  return { ...labels, steps: options.steps, runMs, oneStepRunMs: median(oneStepMs), requests, recorded };
}

const ChainState = Annotation.Root({
  step: Annotation<number>(),
  last: Annotation<Record<string, unknown> | undefined>(),
});

type UpsertConnector = ReturnType<typeof stateUpsertConnector>;

/** START → step-1 → … → step-n → END; each node counts, and optionally does an aios-style state.upsert. */
function chainGraph(steps: number, connector: UpsertConnector | undefined) {
  // Node names are only known at run time, so the graph is typed by string names.
  const graph = new StateGraph(ChainState) as unknown as StateGraph<
    typeof ChainState.spec,
    typeof ChainState.State,
    typeof ChainState.Update,
    string
  >;
  const names = Array.from({ length: steps }, (_, i) => `step-${i + 1}`);
  names.forEach((name, i) => {
    graph.addNode(name, async (state: typeof ChainState.State, config) => {
      const step = i + 1;
      if (!connector) return { step: state.step + 1 };
      const threadId = String(config.configurable?.thread_id);
      const params = connector.paramsSchema.parse({
        entityType: 'bench',
        entityId: threadId,
        data: { [`step${step}`]: step },
      });
      const last = await connector.execute(params, {
        idempotencyKey: `${threadId}:${step}`,
        runId: threadId,
        stepIndex: i,
        now: new Date(),
      });
      return { step: state.step + 1, last };
    });
  });
  graph.addEdge(START, names[0] as string);
  names.slice(1).forEach((name, i) => {
    graph.addEdge(names[i] as string, name);
  });
  graph.addEdge(names[names.length - 1] as string, END);
  return graph;
}

/** The saver's deleteThread removes a thread whole: checked once, outside the timing. */
async function checkDeleteThread(saver: DynamoDBCheckpointSaver, threadId: string): Promise<void> {
  const config = { configurable: { thread_id: threadId } };
  if (!(await saver.getTuple(config))) throw new Error(`no checkpoint stored for ${threadId}`);
  await saver.deleteThread(threadId);
  if (await saver.getTuple(config)) throw new Error(`deleteThread left a checkpoint of ${threadId}`);
}
