import * as z from 'zod';
import type { createPlaybooks } from '../app.ts';
import { seedRegistry } from '../core/playbooks/seed.ts';
import { parseOrThrow } from '../core/validation.ts';

/** What CloudFormation sends the custom resource: every property value arrives as a string. */
const SeedEventSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.object({
    /** The repository's playbooks/ as one JSON array, and the policy as JSON: data of the deploy, not of the bundle. */
    Playbooks: z.string(),
    Policy: z.string(),
  }),
});

const PHYSICAL_ID = 'aios-playbook-registry-seed';

const json = (text: string, what: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not JSON: ${(error as Error).message}`);
  }
};

/**
 * The custom resource that seeds the registry on each deploy (the Provider framework's onEvent
 * handler): the shipped playbooks a push has not overtaken, and the policy if none is there. A
 * delete keeps the registry: it is the operator's data, like the runs beside it.
 */
export function createRegistrySeedHandler(playbooks: ReturnType<typeof createPlaybooks>) {
  return async (event: unknown) => {
    const request = parseOrThrow(SeedEventSchema, event, 'custom resource event');
    if (request.RequestType === 'Delete')
      return { PhysicalResourceId: request.PhysicalResourceId ?? PHYSICAL_ID };
    const shipped = json(request.ResourceProperties.Playbooks, 'Playbooks');
    if (!Array.isArray(shipped)) throw new Error('Playbooks is not a JSON array');
    const { pushed } = await seedRegistry(playbooks, {
      playbooks: shipped,
      policy: json(request.ResourceProperties.Policy, 'Policy'),
    });
    return { PhysicalResourceId: PHYSICAL_ID, Data: { Pushed: pushed.join(', ') || 'nothing' } };
  };
}
