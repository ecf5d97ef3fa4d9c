import { ConflictError } from '../../functions/core/errors.ts';
import type { PlaybookStore, PlaybookVersion, PolicyVersion } from '../../functions/core/ports.ts';

/** The registry's store as a small in-memory double with the adapter's put-once rule. */
export function memoryPlaybookStore(): PlaybookStore {
  const playbooks: PlaybookVersion[] = [];
  const policies: PolicyVersion[] = [];
  const versionsOf = (name: string) =>
    playbooks.filter((p) => p.workflow.name === name).sort((a, b) => a.workflow.version - b.workflow.version);
  return {
    async putPlaybook(version) {
      if (versionsOf(version.workflow.name).some((p) => p.workflow.version === version.workflow.version))
        throw new ConflictError(`${version.workflow.name} v${version.workflow.version} exists`);
      playbooks.push(structuredClone(version));
    },
    getPlaybook: async (name, version) => versionsOf(name).find((p) => p.workflow.version === version),
    playbookVersions: async (name) => versionsOf(name),
    latestPlaybooks: async () =>
      [...new Set(playbooks.map((p) => p.workflow.name))].flatMap((name) => versionsOf(name).slice(-1)),
    async putPolicy(version) {
      if (policies.some((p) => p.version === version.version)) throw new ConflictError('exists');
      policies.push(structuredClone(version));
    },
    getPolicy: async (version) => policies.find((p) => p.version === version),
    latestPolicy: async () => policies.at(-1),
  };
}
