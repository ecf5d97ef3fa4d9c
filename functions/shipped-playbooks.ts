import contentDraft from '../playbooks/content-draft.json' with { type: 'json' };
import invoiceFollowUp from '../playbooks/invoice-follow-up.json' with { type: 'json' };
import onboarding from '../playbooks/onboarding.json' with { type: 'json' };
import operatorPolicy from '../playbooks/operator-policy.json' with { type: 'json' };
import paymentReceived from '../playbooks/payment-received.json' with { type: 'json' };
import { createCatalog } from './core/catalog.ts';
import type { WorkflowCatalog } from './core/ports.ts';
import { type OperatorPolicy, OperatorPolicySchema } from './core/schemas.ts';
import { parseOrThrow } from './core/validation.ts';

/**
 * The playbooks shipped with aios (playbooks/*.json, data only), bundled into the Lambdas that
 * need them so the deployed catalogue is exactly the one in the repository. Add a playbook: add
 * its JSON and a line here.
 */
export const SHIPPED_PLAYBOOKS: readonly unknown[] = [
  onboarding,
  invoiceFollowUp,
  paymentReceived,
  contentDraft,
];

export const shippedCatalog: WorkflowCatalog = createCatalog(SHIPPED_PLAYBOOKS);
/** The operator's standing policy (playbooks/operator-policy.json), bundled like the playbooks. */
export const shippedOperatorPolicy: OperatorPolicy = parseOrThrow(
  OperatorPolicySchema,
  operatorPolicy,
  'playbooks/operator-policy.json',
);
