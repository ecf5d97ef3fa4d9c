import { NotFoundError } from '../errors.ts';
import type { PlaybookStore, PolicyVersion, WorkflowCatalog } from '../ports.ts';
import type { OperatorPolicy } from '../schemas.ts';
import type { Workflow } from '../workflow-schema.ts';

/**
 * The registry's read half: what every handler reads (the catalogue, the policy). Apart from the
 * push (registry.ts) because a push checks playbooks in full, with the cron parser, and most
 * functions never push.
 */
export function createPlaybookReader(deps: { store: PlaybookStore }) {
  /** One version of the operator policy with who pushed it and why, or the newest. */
  async function showPolicy(version?: number): Promise<PolicyVersion> {
    const found =
      version === undefined ? await deps.store.latestPolicy() : await deps.store.getPolicy(version);
    if (!found)
      throw new NotFoundError(
        version === undefined ? 'no operator policy has been pushed' : `policy v${version} does not exist`,
      );
    return found;
  }

  const pinnedPolicies = new Map<number, OperatorPolicy>();

  return {
    showPolicy,

    /**
     * The policy a decision reads: the version its run was pinned to at its start (a version never
     * changes once pushed, so it is kept once read), or the newest for a run from before pinning.
     */
    policy: async (version?: number): Promise<OperatorPolicy> => {
      if (version === undefined) return (await showPolicy()).policy;
      const known = pinnedPolicies.get(version);
      if (known) return known;
      const { policy } = await showPolicy(version);
      pinnedPolicies.set(version, policy);
      return policy;
    },

    /**
     * The catalogue every handler reads: a new run gets the newest version; a run in flight asks
     * for the version it recorded at its start, so a later push never changes it. A version never
     * changes once pushed, so those are kept once read; the newest is read each time.
     */
    catalog(): WorkflowCatalog {
      const pinned = new Map<string, Workflow>();
      return {
        async workflow(name, version) {
          if (version === undefined) return (await deps.store.playbookVersions(name)).at(-1)?.workflow;
          const key = `${name}\u0000${version}`;
          const known = pinned.get(key);
          if (known) return known;
          const found = (await deps.store.getPlaybook(name, version))?.workflow;
          if (found) pinned.set(key, found);
          return found;
        },
        workflows: async () => (await deps.store.latestPlaybooks()).map((p) => p.workflow),
        policyVersion: async () => (await deps.store.latestPolicy())?.version,
      };
    },
  };
}
