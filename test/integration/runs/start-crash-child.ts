/**
 * A local runtime process for the run-start crash test. With CRASH_AT=start it prints CRASHPOINT
 * once the run record is written and its execution is about to start, and blocks its event loop
 * there, so the parent's SIGKILL lands between the two.
 */

import { createCatalog } from '../../../functions/core/catalog.ts';
import { startLocalRuntime } from '../../../lib/local/runtime.ts';
import { scenarioWorkflow } from '../../support/local-runtime.ts';

const { DATA_DIR, CRASH_AT = 'none' } = process.env;
if (!DATA_DIR) throw new Error('DATA_DIR is required');

const runtime = await startLocalRuntime({
  dataDir: DATA_DIR,
  port: 0,
  catalog: createCatalog([scenarioWorkflow()]),
  timeScale: 0.01,
  pollIntervalMs: 20,
  decorateOrchestrator: (orchestrator) => ({
    ...orchestrator,
    async startRun(runId) {
      if (CRASH_AT === 'start') {
        process.stdout.write(`CRASHPOINT start ${runId}\n`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000);
      }
      await orchestrator.startRun(runId);
    },
  }),
});
process.stdout.write(`READY ${runtime.url} ${runtime.apiToken}\n`);
