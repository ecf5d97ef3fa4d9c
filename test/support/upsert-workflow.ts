/**
 * A workflow of `steps` state.upsert steps, each writing its own field of one entity per run: the
 * durable step the benchmarks and the writes-per-step test count, with no model and no approval.
 */
export function upsertWorkflow(name: string, steps: number) {
  return {
    name,
    version: 1,
    description: `${steps} state.upsert steps`,
    allowedActions: ['state.upsert'],
    steps: Array.from({ length: steps }, (_, i) => ({
      id: `step-${i + 1}`,
      title: `Write step ${i + 1}`,
      action: 'state.upsert',
      params: { entityType: 'bench', entityId: '{{run.id}}', data: { [`step${i + 1}`]: i + 1 } },
    })),
  };
}
