import { ValidationError } from '../functions/core/errors.ts';
import type { WorkflowCatalog } from '../functions/core/ports.ts';
import {
  type OperatorPolicy,
  OperatorPolicySchema,
  type Workflow,
  WorkflowSchema,
} from '../functions/core/schemas.ts';
import { parseOrThrow } from '../functions/core/validation.ts';
import { inputProblems } from '../functions/core/workflow-input.ts';
import contentDraft from './content-draft.json' with { type: 'json' };
import invoiceFollowUp from './invoice-follow-up.json' with { type: 'json' };
import onboarding from './onboarding.json' with { type: 'json' };
import operatorPolicy from './operator-policy.json' with { type: 'json' };
import paymentReceived from './payment-received.json' with { type: 'json' };

/**
 * The playbooks shipped with aios, bundled into the Lambdas that need them so the deployed
 * catalogue is exactly the one in the repository. Add a playbook: add its JSON and a line here.
 */
export const SHIPPED_PLAYBOOKS: readonly unknown[] = [
  onboarding,
  invoiceFollowUp,
  paymentReceived,
  contentDraft,
];

/** A fixed catalogue (tests, benches): one version of each workflow, also readable without awaiting. */
export interface StaticCatalog extends WorkflowCatalog {
  get(name: string): Workflow | undefined;
  list(): Workflow[];
}

export function createCatalog(raw: readonly unknown[] = SHIPPED_PLAYBOOKS): StaticCatalog {
  const workflows = new Map<string, Workflow>();
  for (const entry of raw) {
    const workflow = parseOrThrow(
      WorkflowSchema,
      entry,
      `playbook ${(entry as { name?: string }).name ?? '(unnamed)'}`,
    );
    if (workflows.has(workflow.name)) throw new Error(`two playbooks are named ${workflow.name}`);
    const problems = inputProblems(workflow);
    if (problems.length > 0)
      throw new ValidationError(
        `playbook ${workflow.name} is invalid: ${problems.join('; ')}`,
        problems.map((message) => ({ path: 'inputSchema', message })),
      );
    workflows.set(workflow.name, workflow);
  }
  return {
    get: (name) => workflows.get(name),
    list: () => [...workflows.values()],
    async workflow(name, version) {
      const workflow = workflows.get(name);
      return version === undefined || workflow?.version === version ? workflow : undefined;
    },
    workflows: async () => [...workflows.values()],
  };
}

export const shippedCatalog: StaticCatalog = createCatalog();

/** The operator's standing policy (playbooks/operator-policy.json), bundled like the playbooks. */
export const shippedOperatorPolicy: OperatorPolicy = parseOrThrow(
  OperatorPolicySchema,
  operatorPolicy,
  'playbooks/operator-policy.json',
);
