/**
 * A local runtime process for the handoff test: its model is the OpenAI-compatible endpoint named
 * by AIOS_MODEL_URL (the test's fake), with short model retries. The parent kills it with SIGKILL.
 */

import { createCatalog } from '../../../functions/core/catalog.ts';
import { startLocalRuntime } from '../../../lib/local/runtime.ts';
import { draftThenSaveWorkflow } from './workflows.ts';

const { DATA_DIR } = process.env;
if (!DATA_DIR) throw new Error('DATA_DIR is required');

const runtime = await startLocalRuntime({
  dataDir: DATA_DIR,
  port: 0,
  catalog: createCatalog([draftThenSaveWorkflow()]),
  timeScale: 0.01,
  pollIntervalMs: 20,
  modelRetry: { attempts: 3, baseDelayMs: 10 },
});
process.stdout.write(`READY ${runtime.url} ${runtime.apiToken}\n`);
