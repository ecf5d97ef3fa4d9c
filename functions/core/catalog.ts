import { ValidationError } from './errors.ts';
import { PlaybookSchema } from './playbook-schema.ts';
import type { WorkflowCatalog } from './ports.ts';
import { parseOrThrow } from './validation.ts';
import { inputProblems } from './workflow-input.ts';
import type { Workflow } from './workflow-schema.ts';

/** A fixed catalogue (tests, benches): one version of each workflow, also readable without awaiting. */
export interface StaticCatalog extends WorkflowCatalog {
  get(name: string): Workflow | undefined;
  list(): Workflow[];
}

/** A catalogue of playbooks from their raw JSON, each checked against the workflow schema. */
export function createCatalog(raw: readonly unknown[]): StaticCatalog {
  const workflows = new Map<string, Workflow>();
  for (const entry of raw) {
    const workflow = parseOrThrow(
      PlaybookSchema,
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
