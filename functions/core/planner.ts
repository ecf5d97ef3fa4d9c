import { BudgetExceededError, MalformedPlanError, NotFoundError } from './errors.ts';
import type { MemoryService } from './memory/memory-service.ts';
import type { MemoryHit } from './memory/schemas.ts';
import type { Clock, ModelPort, ModelTier, StateStore, WorkflowCatalog } from './ports.ts';
import { ModelPlanSchema, type Plan, type Run, type Workflow } from './schemas.ts';
import { renderTemplates } from './templates.ts';

export interface PlannerDeps {
  store: StateStore;
  model: ModelPort;
  catalog: WorkflowCatalog;
  clock: Clock;
  /** When given, the planner retrieves the workflow's playbooks and postmortems before planning. */
  memory?: MemoryService;
}

export const PLANNER_SYSTEM_PROMPT = [
  'You are the planning agent of aios. Turn the playbook and the run input into a plan.',
  'Answer with JSON only: {"steps":[{"id":"kebab-id","title":"...","action":{"type":"...","params":{}},"expect":{}}]}.',
  'Use only the action types the playbook allows. Fill every {{input.x}} placeholder from the input.',
  "Take the operator's <memory> (playbook notes, postmortems of past runs) into account when given.",
].join('\n');

export const MAX_PLAN_TOKENS = 2000;

export function createPlanner(deps: PlannerDeps) {
  return {
    /**
     * Plans a run once: a retried or resumed call returns the plan already saved, without a model
     * call. A playbook with fixed steps is its own plan (its steps filled from the input, in
     * order); only a playbook with a goal alone asks the model.
     */
    async plan(runId: string): Promise<Plan> {
      const existing = await deps.store.getPlan(runId);
      if (existing) return existing;
      const run = await deps.store.getRun(runId);
      if (!run) throw new NotFoundError(`run ${runId} does not exist`);
      const workflow = await workflowOf(deps.catalog, run);
      if (workflow.steps) {
        return savePlan(
          deps,
          run,
          fixedPlan(workflow, run),
          `playbook ${workflow.name} v${workflow.version}`,
        );
      }
      const memories = deps.memory ? await retrieveForPlan(deps, deps.memory, run, workflow) : [];
      const prompt = buildPrompt(workflow, run, memories);
      const tier = await reserveBudget(deps, run, prompt);
      const started = Date.now();
      const response = await deps.model.converse({
        tier,
        system: PLANNER_SYSTEM_PROMPT,
        prompt,
        maxTokens: MAX_PLAN_TOKENS,
      });
      const costUsd = deps.model.priceUsd(response.modelId, response.inputTokens, response.outputTokens);
      await settleBudget(deps, run, tier, prompt, costUsd);
      await deps.store.appendJournal({
        runId,
        at: deps.clock.now().toISOString(),
        kind: 'model',
        message: `planner asked ${response.modelId} (${tier} tier)`,
        data: {
          purpose: 'plan',
          tier,
          modelId: response.modelId,
          prompt,
          answer: response.text,
          inputTokens: response.inputTokens,
          outputTokens: response.outputTokens,
          costUsd,
          durationMs: Date.now() - started,
        },
      });
      return savePlan(deps, run, parsePlan(response.text, workflow), response.modelId);
    },
  };
}

async function savePlan(deps: PlannerDeps, run: Run, steps: Plan['steps'], by: string): Promise<Plan> {
  const plan = await deps.store.savePlan({
    runId: run.runId,
    steps,
    modelId: by,
    createdAt: deps.clock.now().toISOString(),
  });
  await deps.store.appendJournal({
    runId: run.runId,
    at: deps.clock.now().toISOString(),
    kind: 'plan',
    message: `plan of ${plan.steps.length} steps: ${plan.steps.map((s) => s.id).join(', ')}`,
    data: { steps: plan.steps, by },
  });
  return plan;
}

/**
 * The plan of a playbook with fixed steps: exactly its steps, in order, their parameters filled
 * from the run's input. No model is asked, so no model answer can change an action, a parameter
 * or the order the operator wrote.
 */
export function fixedPlan(workflow: Workflow, run: Run): Plan['steps'] {
  const scope = { input: run.input, run: { id: run.runId, mode: run.mode } };
  let steps: unknown[];
  try {
    steps = (workflow.steps ?? []).map((step) => ({
      id: step.id,
      title: step.title,
      // Step outputs do not exist yet: `{{steps.*}}` is filled when the step runs, from what was recorded.
      action: { type: step.action, params: renderTemplates(step.params, scope, { defer: ['steps'] }) },
      ...(step.expect ? { expect: step.expect } : {}),
      // A model step's prompt is filled when it runs, so it can read earlier steps' outputs too.
      ...(step.model ? { model: step.model } : {}),
    }));
  } catch (error) {
    throw new MalformedPlanError(
      `the playbook's steps cannot be filled from the input: ${(error as Error).message}`,
    );
  }
  return checkPlan({ steps }, workflow, "the playbook's steps");
}

/** The version of the workflow the run was pinned to at its start, whatever was pushed since. */
export async function workflowOf(
  catalog: WorkflowCatalog,
  run: Pick<Run, 'runId' | 'workflow' | 'workflowVersion'>,
): Promise<Workflow> {
  const workflow = await catalog.workflow(run.workflow, run.workflowVersion);
  if (!workflow)
    throw new NotFoundError(
      `run ${run.runId} was started on ${run.workflow} v${run.workflowVersion}, which is not in the catalogue`,
    );
  return workflow;
}

/** Memories the planner takes into account: at most this many. */
const PLAN_MEMORIES = 5;

/**
 * The operator's playbooks and past postmortems about this workflow, each with its origin and
 * score, written to the run journal with every candidate considered. A memory that cannot be read
 * is journaled and the plan goes on without it: memory informs a plan, it does not gate it.
 */
async function retrieveForPlan(
  deps: PlannerDeps,
  memory: MemoryService,
  run: Run,
  workflow: Workflow,
): Promise<MemoryHit[]> {
  const request = planMemoryRequest(workflow);
  try {
    const result = await memory.search(request, { explain: 20 });
    await deps.store.appendJournal({
      runId: run.runId,
      at: deps.clock.now().toISOString(),
      kind: 'retrieval',
      message: `planner retrieved ${result.hits.length} memor${result.hits.length === 1 ? 'y' : 'ies'} from index ${result.indexVersion}${
        result.hits.length ? `: ${result.hits.map((h) => `${h.id} (${h.kind}, ${h.score})`).join(', ')}` : ''
      }`,
      data: {
        purpose: 'plan',
        request,
        indexVersion: result.indexVersion,
        candidates: (result.considered ?? result.hits).map((h) => ({
          rank: h.rank,
          id: h.id,
          version: h.version,
          kind: h.kind,
          score: h.score,
          scores: h.scores,
          origin: h.origin,
          used: h.rank <= PLAN_MEMORIES,
        })),
      },
    });
    return result.hits;
  } catch (error) {
    await deps.store.appendJournal({
      runId: run.runId,
      at: deps.clock.now().toISOString(),
      kind: 'retrieval',
      message: `planner could not read memory, planning without it: ${(error as Error).message}`,
      data: { purpose: 'plan', request, error: (error as Error).name },
    });
    return [];
  }
}

/** What the planner retrieves: the operator's playbooks and postmortems about this workflow. */
export const planMemoryRequest = (workflow: Workflow) => ({
  q: `${workflow.name}: ${workflow.description}`,
  namespace: ['operator'],
  kind: ['playbook', 'postmortem'],
  subject: [`workflow:${workflow.name}`],
  k: PLAN_MEMORIES,
});

/** The planner's prompt: the playbook, the input, the run and the memories retrieved for it. */
export function buildPrompt(workflow: Workflow, run: Run, memories: readonly MemoryHit[] = []): string {
  const playbook = {
    name: workflow.name,
    version: workflow.version,
    description: workflow.description,
    allowedActions: workflow.allowedActions,
    goal: workflow.goal,
  };
  return [
    `<playbook>${JSON.stringify(playbook)}</playbook>`,
    `<input>${JSON.stringify(run.input)}</input>`,
    `<run>${JSON.stringify({ id: run.runId, mode: run.mode })}</run>`,
    ...(memories.length > 0
      ? [
          `<memory>${JSON.stringify(
            memories.map((m) => ({
              id: m.id,
              kind: m.kind,
              validFrom: m.validFrom,
              score: m.score,
              text: m.text,
            })),
          )}</memory>`,
        ]
      : []),
  ].join('\n');
}

/** Rough token count: about four characters a token, rounded up, so reservations err high. */
const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/**
 * Reserves the worst-case cost before the call: the slow tier if the budget allows it, else the
 * fast tier, else stop. Written as a conditional update, so the reservation is visible at once.
 */
async function reserveBudget(deps: PlannerDeps, run: Run, prompt: string): Promise<ModelTier> {
  if (run.modelCalls + 1 > run.budget.maxModelCalls) {
    throw new BudgetExceededError(
      `run ${run.runId} has used ${run.modelCalls} of its ${run.budget.maxModelCalls} model calls`,
    );
  }
  const remaining = run.budget.maxUsd - run.spentUsd;
  const inputTokens = estimateTokens(PLANNER_SYSTEM_PROMPT) + estimateTokens(prompt);
  for (const tier of ['slow', 'fast'] as const) {
    const worst = deps.model.priceUsd(deps.model.modelFor(tier), inputTokens, MAX_PLAN_TOKENS);
    if (worst <= remaining) {
      await deps.store.updateRun(run.runId, ['RUNNING'], {
        spentUsd: run.spentUsd + worst,
        modelCalls: run.modelCalls + 1,
        updatedAt: deps.clock.now().toISOString(),
      });
      return tier;
    }
  }
  throw new BudgetExceededError(
    `planning needs up to $${deps.model.priceUsd(deps.model.modelFor('fast'), inputTokens, MAX_PLAN_TOKENS).toFixed(4)} ` +
      `even on the fast tier, and run ${run.runId} has $${remaining.toFixed(4)} of its $${run.budget.maxUsd} left`,
  );
}

/** Replaces the reservation with the real cost once the model has answered. */
async function settleBudget(deps: PlannerDeps, run: Run, tier: ModelTier, prompt: string, costUsd: number) {
  const inputTokens = estimateTokens(PLANNER_SYSTEM_PROMPT) + estimateTokens(prompt);
  const reserved = deps.model.priceUsd(deps.model.modelFor(tier), inputTokens, MAX_PLAN_TOKENS);
  const current = await deps.store.getRun(run.runId);
  if (!current) return;
  await deps.store.updateRun(run.runId, ['RUNNING'], {
    spentUsd: Math.max(0, current.spentUsd - reserved + costUsd),
    updatedAt: deps.clock.now().toISOString(),
  });
}

/** Model output is untrusted: it must be JSON, match the plan schema and use only allowed actions. */
export function parsePlan(text: string, workflow: Workflow): Plan['steps'] {
  const json = extractJson(text);
  if (json === undefined) {
    throw new MalformedPlanError(`the model's answer is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  return checkPlan(json, workflow, "the model's plan");
}

/** A plan matches the plan schema, uses only the actions the workflow allows, and has distinct step ids. */
function checkPlan(json: unknown, workflow: Workflow, what: string): Plan['steps'] {
  const parsed = ModelPlanSchema.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new MalformedPlanError(`${what} does not match the plan schema: ${detail}`);
  }
  const outside = parsed.data.steps.filter((s) => !workflow.allowedActions.includes(s.action.type));
  if (outside.length > 0) {
    throw new MalformedPlanError(
      `${what} uses actions the workflow does not allow: ${outside.map((s) => `${s.id} → ${s.action.type}`).join(', ')}`,
    );
  }
  const ids = parsed.data.steps.map((s) => s.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new MalformedPlanError(`${what} has two steps with id ${duplicate}`);
  return parsed.data.steps;
}

function extractJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const candidate = (fenced?.[1] ?? text).trim();
  try {
    return JSON.parse(candidate);
  } catch {
    return undefined;
  }
}
