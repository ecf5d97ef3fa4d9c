import { describe, expect, it } from 'vitest';
import { createPlaybooks } from '../../../functions/app.ts';
import { createRegistrySeedHandler } from '../../../functions/registry-seed/seed-handler.ts';
import invoiceFollowUp from '../../../playbooks/invoice-follow-up.json' with { type: 'json' };
import operatorPolicy from '../../../playbooks/operator-policy.json' with { type: 'json' };
import { memoryPlaybookStore } from '../../support/memory-playbook-store.ts';

// The deploy's custom resource: what CloudFormation sends, what the registry then holds.

const clock = { now: () => new Date('2026-12-01T10:00:00.000Z') };
const event = (RequestType: string, playbooks: unknown[], policy: unknown = operatorPolicy) => ({
  RequestType,
  ResourceProperties: { Playbooks: JSON.stringify(playbooks), Policy: JSON.stringify(policy) },
});

describe('the registry seed (custom resource)', () => {
  it('pushes the shipped playbooks and policy on create, and never undoes a later push on update', async () => {
    const registry = createPlaybooks({ store: memoryPlaybookStore(), clock });
    const seed = createRegistrySeedHandler(registry);
    const created = await seed(event('Create', [invoiceFollowUp]));
    expect(created.Data?.Pushed).toBe(`invoice-follow-up v${invoiceFollowUp.version}, policy v1`);

    const pushed = { ...invoiceFollowUp, version: invoiceFollowUp.version + 1, description: 'by hand' };
    await registry.push(pushed, 'operator');
    const stricter = { ...operatorPolicy, byRisk: { ...operatorPolicy.byRisk, write: 'needs-approval' } };
    await registry.pushPolicy(stricter, 'operator', 'careful');
    const updated = await seed(event('Update', [invoiceFollowUp]));
    expect(updated.Data?.Pushed).toBe('nothing');
    expect((await registry.show('invoice-follow-up')).workflow.description).toBe('by hand');
    expect((await registry.policy()).byRisk.write).toBe('needs-approval');

    // A newer shipped version than the registry's newest is pushed by the next deploy.
    const shippedLater = { ...invoiceFollowUp, version: invoiceFollowUp.version + 2 };
    expect((await seed(event('Update', [shippedLater]))).Data?.Pushed).toBe(
      `invoice-follow-up v${invoiceFollowUp.version + 2}`,
    );
  });

  it('fails the deploy on an invalid playbook, naming its problems, and keeps the registry on delete', async () => {
    const registry = createPlaybooks({ store: memoryPlaybookStore(), clock });
    const seed = createRegistrySeedHandler(registry);
    await expect(
      seed(event('Create', [{ ...invoiceFollowUp, allowedActions: ['fax.send'] }])),
    ).rejects.toThrow('allowedActions: fax.send is not an action aios knows');
    await expect(seed({ RequestType: 'Create', ResourceProperties: {} })).rejects.toThrow('Playbooks');
    await seed(event('Create', [invoiceFollowUp]));
    expect(await seed({ ...event('Delete', []), PhysicalResourceId: 'x' })).toEqual({
      PhysicalResourceId: 'x',
    });
    expect(await registry.list()).toHaveLength(1);
  });
});
