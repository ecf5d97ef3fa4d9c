import { NotFoundError } from '../errors.ts';
import type { PlaybookRegistry } from './registry.ts';

/** The playbooks and policy shipped in the repository's playbooks/ folder. */
export interface ShippedPlaybooks {
  playbooks: readonly unknown[];
  policy: unknown;
}

/**
 * Seeds the registry with what ships in playbooks/: locally at every start, on AWS by the deploy's
 * custom resource. A shipped playbook is pushed only when its version is above the registry's
 * newest, so an operator's later push is never undone by a restart or a redeploy; the policy only
 * when the registry has none. Each push is validated fully, so a broken shipped file stops the
 * start (or the deploy) with every problem named.
 */
export async function seedRegistry(
  registry: PlaybookRegistry,
  shipped: ShippedPlaybooks,
): Promise<{ pushed: string[] }> {
  const pushed: string[] = [];
  for (const raw of shipped.playbooks) {
    const { name, version } = raw as { name?: unknown; version?: unknown };
    const newest =
      typeof name === 'string'
        ? await registry.show(name).catch((error: unknown) => {
            if (error instanceof NotFoundError) return undefined;
            throw error;
          })
        : undefined;
    if (newest && typeof version === 'number' && newest.workflow.version >= version) continue;
    const { status, workflow } = await registry.push(raw, 'seed');
    if (status === 'pushed') pushed.push(`${workflow.name} v${workflow.version}`);
  }
  try {
    await registry.policy();
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    const { version } = await registry.pushPolicy(shipped.policy, 'seed');
    pushed.push(`policy v${version}`);
  }
  return { pushed };
}
