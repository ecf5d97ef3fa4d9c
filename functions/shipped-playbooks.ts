import contentDraft from '../playbooks/content-draft.json' with { type: 'json' };
import invoiceFollowUp from '../playbooks/invoice-follow-up.json' with { type: 'json' };
import onboarding from '../playbooks/onboarding.json' with { type: 'json' };
import operatorPolicy from '../playbooks/operator-policy.json' with { type: 'json' };
import paymentReceived from '../playbooks/payment-received.json' with { type: 'json' };
import { createCatalog, type StaticCatalog } from './core/catalog.ts';
import { type OperatorPolicy, OperatorPolicySchema } from './core/schemas.ts';
import { parseOrThrow } from './core/validation.ts';

/**
 * The playbooks shipped with aios (playbooks/*.json, data only): the registry is seeded with them
 * (locally at every start, on AWS by the deploy's custom resource); no Lambda bundles them. Add a
 * playbook: add its JSON and a line here.
 */
export const SHIPPED_PLAYBOOKS: readonly unknown[] = [
  onboarding,
  invoiceFollowUp,
  paymentReceived,
  contentDraft,
];

export const shippedCatalog: StaticCatalog = createCatalog(SHIPPED_PLAYBOOKS);
/** The operator's standing policy (playbooks/operator-policy.json), bundled like the playbooks. */
export const shippedOperatorPolicy: OperatorPolicy = parseOrThrow(
  OperatorPolicySchema,
  operatorPolicy,
  'playbooks/operator-policy.json',
);
