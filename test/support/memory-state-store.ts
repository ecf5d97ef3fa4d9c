import { ConflictError } from '../../functions/core/errors.ts';
import type { StateStore } from '../../functions/core/ports.ts';
import type { AuditEntry, Entity, Intent, JournalEntry, Plan, Run } from '../../functions/core/schemas.ts';

/** An in-memory StateStore for unit tests, with the same conditional-write contract as the DynamoDB one. */
export function createMemoryStateStore(): StateStore & { entityVersions: Map<string, Entity[]> } {
  const runs = new Map<string, Run>();
  const plans = new Map<string, Plan>();
  const intents = new Map<string, Intent>();
  const journal: JournalEntry[] = [];
  const audit: AuditEntry[] = [];
  /** Entries appended with an id: each (time, id) once. */
  const onceIds = new Set<string>();
  const entities = new Map<string, Entity>();
  const entityVersions = new Map<string, Entity[]>();
  const clone = <T>(value: T): T => structuredClone(value);
  const intentKey = (runId: string, stepIndex: number) => `${runId}#${String(stepIndex).padStart(4, '0')}`;
  const appendOnce = <T extends { at: string }>(kind: string, log: T[], entry: T, id?: string) => {
    if (id && onceIds.has(`${kind}#${entry.at}#${id}`)) return;
    if (id) onceIds.add(`${kind}#${entry.at}#${id}`);
    log.push(clone(entry));
  };
  const updateIntent: StateStore['updateIntent'] = async (runId, stepIndex, from, patch, condition) => {
    const key = intentKey(runId, stepIndex);
    const intent = intents.get(key);
    if (!intent || !from.includes(intent.status))
      throw new ConflictError(`intent ${key} is not in ${from.join(', ')}`);
    if (condition?.leaseOwner !== undefined && intent.leaseOwner !== condition.leaseOwner)
      throw new ConflictError(`intent ${key} is not leased to ${condition.leaseOwner}`);
    const next = { ...intent, ...clone(patch) };
    intents.set(key, next);
    return clone(next);
  };

  return {
    entityVersions,
    async createRun(run) {
      if (runs.has(run.runId)) throw new ConflictError(`run ${run.runId} already exists`);
      runs.set(run.runId, clone(run));
    },
    async getRun(runId) {
      return clone(runs.get(runId));
    },
    async getIntentWithRun(runId, stepIndex) {
      const intent = intents.get(intentKey(runId, stepIndex));
      const run = runs.get(runId);
      return { ...(intent ? { intent: clone(intent) } : {}), ...(run ? { run: clone(run) } : {}) };
    },
    // The breakers are kept elsewhere (the in-memory breaker): it reads its own.
    async getIntentWithRunAndBreaker(runId, stepIndex) {
      return this.getIntentWithRun(runId, stepIndex);
    },
    async updateRun(runId, from, patch) {
      const run = runs.get(runId);
      if (!run || !from.includes(run.status))
        throw new ConflictError(`run ${runId} is not in ${from.join(', ')}`);
      const next = { ...run, ...clone(patch) };
      runs.set(runId, next);
      return clone(next);
    },
    async listRuns(query = {}) {
      return [...runs.values()]
        .filter((r) => !query.status || r.status === query.status)
        .filter((r) => !query.createdBefore || r.createdAt < query.createdBefore)
        .filter((r) => !query.createdSince || r.createdAt >= query.createdSince)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, query.limit ?? 50)
        .map(clone);
    },
    async savePlan(plan) {
      const existing = plans.get(plan.runId);
      if (existing) return clone(existing);
      plans.set(plan.runId, clone(plan));
      return clone(plan);
    },
    async getPlan(runId) {
      return clone(plans.get(runId));
    },
    async recordIntent(intent) {
      const key = intentKey(intent.runId, intent.stepIndex);
      const existing = intents.get(key);
      if (existing) return clone(existing);
      intents.set(key, clone(intent));
      return clone(intent);
    },
    async getIntent(runId, stepIndex) {
      return clone(intents.get(intentKey(runId, stepIndex)));
    },
    async recordIntentWithLogs(intent, logs) {
      const key = intentKey(intent.runId, intent.stepIndex);
      const existing = intents.get(key);
      if (existing) return { intent: clone(existing), created: false };
      intents.set(key, clone(intent));
      appendOnce('journal', journal, logs.journal.entry, logs.journal.id);
      appendOnce('audit', audit, logs.audit.entry, logs.audit.id);
      return { intent: clone(intent), created: true };
    },
    updateIntent,
    async updateIntentWithLogs(runId, stepIndex, from, patch, condition, logs) {
      await updateIntent(runId, stepIndex, from, patch, condition);
      appendOnce('journal', journal, logs.journal.entry, logs.journal.id);
      appendOnce('audit', audit, logs.audit.entry, logs.audit.id);
    },
    async claimIntent(runId, stepIndex, claim) {
      const key = intentKey(runId, stepIndex);
      const intent = intents.get(key);
      const lapsed =
        intent?.status === 'EXECUTING' &&
        (intent.leaseExpiresAt === undefined ||
          intent.leaseExpiresAt < claim.now ||
          (claim.supersedes !== undefined && intent.leaseOwner === claim.supersedes));
      if (!intent || intent.attempts !== claim.attempts || !(intent.status === 'RECORDED' || lapsed))
        throw new ConflictError(`intent ${key} is claimed by another attempt`);
      const next: Intent = {
        ...intent,
        status: 'EXECUTING',
        attempts: claim.attempts + 1,
        leaseOwner: claim.owner,
        leaseExpiresAt: claim.leaseExpiresAt,
        startedAt: intent.startedAt ?? claim.now,
      };
      intents.set(key, next);
      return clone(next);
    },
    async listIntents(runId) {
      return [...intents.entries()]
        .filter(([key]) => key.startsWith(`${runId}#`))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([, intent]) => clone(intent));
    },
    async appendJournal(entry, options) {
      appendOnce('journal', journal, entry, options?.id);
    },
    async listJournal(runId) {
      return journal.filter((e) => e.runId === runId).map(clone);
    },
    async appendAudit(entry, options) {
      appendOnce('audit', audit, entry, options?.id);
    },
    async listAudit(runId) {
      return audit.filter((e) => e.runId === runId).map(clone);
    },
    async getEntityVersion(type, id, version) {
      return clone(entityVersions.get(`${type}#${id}`)?.find((e) => e.version === version));
    },
    async getEntityAsOf(type, id, at) {
      const versions = entityVersions.get(`${type}#${id}`) ?? [];
      return clone(versions.filter((e) => e.updatedAt <= at).at(-1));
    },
    async getEntity(type, id) {
      return clone(entities.get(`${type}#${id}`));
    },
    async putEntity(entity, expectedVersion, now) {
      const key = `${entity.type}#${entity.id}`;
      const current = entities.get(key);
      if ((current?.version ?? undefined) !== expectedVersion) throw new ConflictError(`${key} changed`);
      const written: Entity = {
        ...clone(entity),
        version: (expectedVersion ?? 0) + 1,
        updatedAt: now.toISOString(),
      };
      entities.set(key, written);
      entityVersions.set(key, [...(entityVersions.get(key) ?? []), written]);
      return clone(written);
    },
  };
}
