/** A model step that drafts a note, then a step that saves the draft on the customer: no approval, one effect. */
export function draftThenSaveWorkflow(overrides: Record<string, unknown> = {}) {
  return {
    name: 'draft-note',
    version: 1,
    description: 'Draft a note for a customer, then save it on the customer.',
    allowedActions: ['model.draft', 'state.upsert'],
    inputSchema: {
      type: 'object',
      properties: { customerId: { type: 'string', minLength: 1 } },
      required: ['customerId'],
    },
    steps: [
      {
        id: 'draft-note',
        title: 'Draft the note',
        action: 'model.draft',
        model: { prompt: 'Write a one-line note for customer {{input.customerId}}.' },
      },
      {
        id: 'save-note',
        title: 'Save the note on the customer',
        action: 'state.upsert',
        params: {
          entityType: 'customer',
          entityId: '{{input.customerId}}',
          data: { note: '{{steps.draft-note.output.text}}' },
        },
      },
    ],
    ...overrides,
  };
}
