import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Tiers run as separate projects so each can be run alone (npm run test:unit, ...).
export default defineConfig({
  test: {
    // Most test time is waiting (child runtimes, synth, loopback I/O), so one file per core, not one
    // fewer: on this 2-core machine the suite takes about 7.5 min instead of 11.
    maxWorkers: availableParallelism(),
    globalSetup: ['test/temp-dir-setup.ts'],
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Most of a unit file's time is importing zod, Powertools and the SDK: shared by the files
          // of a process, not done again for each. A file that needs fresh modules asks for them
          // (vi.resetModules, as test/unit/asl/definition-cache.test.ts does).
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // Each file starts its own runtimes, stores and servers and closes them; what the files of a
          // process share is the modules they import (the runtime, dynalite, the SDK), loaded once
          // instead of once per file: about a second of CPU each. Spies are restored where set.
          isolate: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          environment: 'node',
          // The files share a process and its module cache: aws-cdk-lib is imported and each app
          // context synthesized once per process, not once per file (test/infra/synth.ts). They
          // mock nothing and change no global state, which is what isolation would protect.
          isolate: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Real Chromium (Debian's, which .ci/run installs) driven by playwright-core from node.
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
