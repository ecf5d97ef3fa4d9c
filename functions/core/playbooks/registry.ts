import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { PlaybookSchema } from '../playbook-schema.ts';
import type { Clock, PlaybookSchedules, PlaybookStore, PlaybookVersion, PolicyVersion } from '../ports.ts';
import { MODEL_STEP_TYPES, OperatorPolicySchema, type Workflow } from '../schemas.ts';
import { inputProblems } from '../workflow-input.ts';
import { createPlaybookReader } from './reader.ts';

// The playbook registry: playbooks and the operator policy as data in the state table, versioned,
// changed without a deploy. A version once pushed never changes; a run records the version it
// started with (Run.workflowVersion) and reads that version to the end, so a push never changes a
// run in flight.

export type { PlaybookStore, PlaybookVersion, PolicyVersion } from '../ports.ts';

/** What a playbook may name, from the connector catalogue and the trigger rules. */
export interface PlaybookRules {
  /** The action types the gateway knows. */
  knownActions: ReadonlySet<string>;
}

/** Placeholders a step's parameters may use; `input.*` is checked against the input schema. */
const TEMPLATE = /\{\{\s*([\w.-]+)\s*\}\}/g;
const TEMPLATE_SCOPES = new Set(['input', 'run']);
const RUN_FIELDS = new Set(['id', 'workflow', 'version', 'mode']);

/** EventBridge Scheduler's expressions: rate(n unit), cron(6 fields), at(yyyy-mm-ddThh:mm:ss). */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    if (n < 1) return `schedule ${expression}: the rate must be at least 1`;
    if ((n === 1) !== !rate[2]?.endsWith('s'))
      return `schedule ${expression}: the unit is singular for 1 and plural above (rate(1 day), rate(2 days))`;
    return undefined;
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== 6)
      return `schedule ${expression}: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not ${fields.length}`;
    if (fields[2] !== '?' && fields[4] !== '?')
      return `schedule ${expression}: one of day-of-month and day-of-week must be ?`;
    return undefined;
  }
  if (/^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$/.test(expression)) return undefined;
  return `schedule ${JSON.stringify(expression)} is not rate(...), cron(...) or at(...)`;
}

function templatesIn(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') for (const match of value.matchAll(TEMPLATE)) found.push(match[1] ?? '');
  else if (Array.isArray(value)) for (const item of value) templatesIn(item, found);
  else if (value !== null && typeof value === 'object')
    for (const item of Object.values(value)) templatesIn(item, found);
  return found;
}

/**
 * Every problem of a playbook file, not only the first: the schema, the actions (known to the
 * gateway, allowed by the playbook), the templates, the schedule and the input schema.
 */
export function playbookProblems(
  raw: unknown,
  rules: PlaybookRules,
): { workflow?: Workflow; problems: string[] } {
  const parsed = PlaybookSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map(
        (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(the file)'}: ${issue.message}`,
      ),
    };
  }
  const workflow = parsed.data;
  const problems: string[] = [];
  // Model steps are done inside the run, not by a connector, so they are known without one.
  const known = (action: string) =>
    rules.knownActions.has(action) || (MODEL_STEP_TYPES as readonly string[]).includes(action);
  const earlier = new Set<string>();
  for (const action of workflow.allowedActions)
    if (!known(action)) problems.push(`allowedActions: ${action} is not an action aios knows`);
  for (const rule of workflow.policy.rules)
    if (!known(rule.action)) problems.push(`policy.rules: ${rule.action} is not an action aios knows`);
  for (const step of workflow.steps ?? []) {
    if (!known(step.action)) problems.push(`step ${step.id}: ${step.action} is not an action aios knows`);
    else if (!workflow.allowedActions.includes(step.action))
      problems.push(`step ${step.id}: ${step.action} is not in allowedActions`);
    for (const path of templatesIn(step.params)) {
      const [scope, field, output] = path.split('.');
      if (scope === 'steps') {
        // {{steps.<id>.output.<field>}}: filled when the step runs, from an earlier step's output.
        if (!field || output !== 'output' || !earlier.has(field))
          problems.push(`step ${step.id}: {{${path}}} does not name the output of an earlier step`);
      } else if (!scope || !TEMPLATE_SCOPES.has(scope) || !field)
        problems.push(
          `step ${step.id}: {{${path}}} is not {{input.<field>}}, {{run.<field>}} or {{steps.<id>.output.<field>}}`,
        );
      else if (scope === 'run' && !RUN_FIELDS.has(field))
        problems.push(
          `step ${step.id}: {{${path}}}: a run has no ${field} (it has ${[...RUN_FIELDS].join(', ')})`,
        );
    }
    earlier.add(step.id);
  }
  const ids = (workflow.steps ?? []).map((s) => s.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i)))
    problems.push(`steps: two steps are named ${id}`);
  if (workflow.trigger.type === 'schedule') {
    const problem = scheduleExpressionProblem(workflow.trigger.expression);
    if (problem) problems.push(`trigger: ${problem}`);
  }
  problems.push(...inputProblems(workflow));
  return { workflow, problems };
}

/** The top-level fields whose values differ between two versions (for `aios playbooks diff`). */
export function changedFields(before: Workflow, after: Workflow): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => k !== 'version');
  return keys.filter(
    (key) =>
      JSON.stringify((before as Record<string, unknown>)[key]) !==
      JSON.stringify((after as Record<string, unknown>)[key]),
  );
}

export interface PlaybookRegistryDeps {
  store: PlaybookStore;
  clock: Clock;
  rules: PlaybookRules;
  /** The pushed version's schedule takes effect at once, without a deploy. */
  schedules?: PlaybookSchedules;
}

export type PushResult = { status: 'pushed' | 'unchanged'; workflow: Workflow };

export function createPlaybookRegistry(deps: PlaybookRegistryDeps) {
  const refuse = (what: string, problems: string[]): never => {
    throw new ValidationError(
      `${what} was refused: ${problems.join('; ')}`,
      problems.map((message) => ({ path: what, message })),
    );
  };

  const reader = createPlaybookReader(deps);

  return {
    /**
     * Validates the file fully and stores it as a new version. Its `version` must be above the
     * newest stored one; pushing the newest version again with the same content changes nothing.
     */
    async push(raw: unknown, pushedBy: string): Promise<PushResult> {
      const { workflow, problems } = playbookProblems(raw, deps.rules);
      const name = (raw as { name?: unknown } | null)?.name;
      const what = `playbook ${typeof name === 'string' ? name : '(unnamed)'}`;
      if (!workflow || problems.length > 0) return refuse(what, problems);
      const versions = await deps.store.playbookVersions(workflow.name);
      const newest = versions.at(-1);
      if (newest && newest.workflow.version === workflow.version) {
        if (changedFields(newest.workflow, workflow).length === 0) {
          // Pushing again is how a schedule left unsynced by a failure (or a crash) is put right.
          await deps.schedules?.sync(workflow);
          return { status: 'unchanged', workflow };
        }
        return refuse(what, [
          `version ${workflow.version} is already pushed with other content; a change needs version ${workflow.version + 1}`,
        ]);
      }
      if (newest && workflow.version < newest.workflow.version)
        return refuse(what, [
          `version ${workflow.version} is older than the newest, ${newest.workflow.version}`,
        ]);
      try {
        await deps.store.putPlaybook({ workflow, pushedAt: deps.clock.now().toISOString(), pushedBy });
      } catch (error) {
        if (error instanceof ConflictError)
          return refuse(what, [`version ${workflow.version} was pushed meanwhile`]);
        throw error;
      }
      // After the version is stored (the intent): a failure here is put right by pushing again.
      await deps.schedules?.sync(workflow);
      return { status: 'pushed', workflow };
    },

    /** One version, or the newest. */
    async show(name: string, version?: number): Promise<PlaybookVersion> {
      const found =
        version === undefined
          ? (await deps.store.playbookVersions(name)).at(-1)
          : await deps.store.getPlaybook(name, version);
      if (!found)
        throw new NotFoundError(
          `playbook ${name}${version === undefined ? '' : ` v${version}`} does not exist`,
        );
      return found;
    },

    list: () => deps.store.latestPlaybooks(),

    /** What pushing this file would change, against the newest version. */
    async diff(raw: unknown): Promise<{ problems: string[]; changed: string[]; from?: number }> {
      const { workflow, problems } = playbookProblems(raw, deps.rules);
      if (!workflow) return { problems, changed: [] };
      const newest = (await deps.store.playbookVersions(workflow.name)).at(-1);
      return newest
        ? { problems, changed: changedFields(newest.workflow, workflow), from: newest.workflow.version }
        : { problems, changed: ['(new playbook)'] };
    },

    /**
     * Pushes a new version of the operator policy (with its approvers), recording who and why;
     * every problem is listed. The same policy as the newest is no new version.
     */
    async pushPolicy(raw: unknown, pushedBy: string, reason?: string): Promise<PolicyVersion> {
      const parsed = OperatorPolicySchema.safeParse(raw);
      if (!parsed.success)
        return refuse(
          'operator policy',
          parsed.error.issues.map((i) => `${i.path.join('.') || '(the file)'}: ${i.message}`),
        );
      const unknown = parsed.data.rules
        .map((r, i) => [r, i] as const)
        .filter(([r]) => !deps.rules.knownActions.has(r.action));
      if (unknown.length > 0)
        return refuse(
          'operator policy',
          unknown.map(([r, i]) => `rules.${i}.action: ${r.action} is not an action aios knows`),
        );
      const newest = await deps.store.latestPolicy();
      if (newest && JSON.stringify(newest.policy) === JSON.stringify(parsed.data)) return newest;
      const version: PolicyVersion = {
        version: (newest?.version ?? 0) + 1,
        policy: parsed.data,
        pushedAt: deps.clock.now().toISOString(),
        pushedBy,
        ...(reason ? { reason } : {}),
      };
      try {
        await deps.store.putPolicy(version);
      } catch (error) {
        if (error instanceof ConflictError)
          return refuse('operator policy', [`version ${version.version} was pushed meanwhile; push again`]);
        throw error;
      }
      return version;
    },

    ...reader,
  };
}

export type PlaybookRegistry = ReturnType<typeof createPlaybookRegistry>;
