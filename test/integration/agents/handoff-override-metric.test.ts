import { describe, expect, it } from 'vitest';
import type { ModelPort } from '../../../functions/core/ports.ts';
import { captureEmf } from '../../support/emf-capture.ts';
import { draftThenSaveWorkflow } from './workflows.ts';

/** EMF documents Powertools printed that carry `name`. */
const emf = captureEmf();
const emfWith = (name: string) => emf().filter((doc) => JSON.stringify(doc).includes(`"${name}"`));

describe('HandoffCompleted is a human override', () => {
  it('completing a handed-off step emits HumanOverride with its workflow, once', async () => {
    const { modelFromEnv } = await import('../../../lib/local/model-from-env.ts');
    const { api, startTestRuntime, until, waitForRun } = await import('../../support/local-runtime.ts');
    const offline = modelFromEnv({}).model;
    const model: ModelPort = {
      converse: async () => {
        throw new Error('model crashed');
      },
      priceUsd: offline.priceUsd.bind(offline),
      modelFor: offline.modelFor.bind(offline),
    };
    const runtime = await startTestRuntime({ workflows: [draftThenSaveWorkflow()], model });
    try {
      const { runId } = (
        await api<{ runId: string }>(runtime, 'POST', '/runs', {
          workflow: 'draft-note',
          input: { customerId: 'acme' },
        })
      ).body;
      const handoffId = await until(
        'the handoff',
        async () => (await runtime.handoffs.list()).find((h) => h.runId === runId)?.handoffId,
      );
      expect(emfWith('HumanOverride')).toEqual([]);
      const done = await api(runtime, 'POST', `/handoffs/${handoffId}/complete`, { text: 'A note.' });
      expect(done.status).toBe(200);
      expect((await waitForRun(runtime, runId)).run.status).toBe('SUCCEEDED');
      const overrides = emfWith('HumanOverride');
      expect(overrides).toHaveLength(1);
      expect(overrides[0]).toMatchObject({ HumanOverride: 1, workflow: 'draft-note', service: 'aios' });
    } finally {
      await runtime.close();
    }
  });
});
