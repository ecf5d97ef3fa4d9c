import {
  ModelCallError,
  ModelDeferredError,
  ModelFailedError,
  ModelOutputInvalidError,
  NotFoundError,
} from '../errors.ts';
import { idempotencyKeyFor } from '../idempotency-key.ts';
import { compileInputSchema, type ObjectField } from '../input-schema.ts';
import type { MemoryService } from '../memory/memory-service.ts';
import type { MemoryHit } from '../memory/schemas.ts';
import { workflowOf } from '../planner.ts';
import type { Clock, ModelPort, ModelResponse, ModelTier, StateStore, WorkflowCatalog } from '../ports.ts';
import { memoryNamespaceOf } from '../run-recorder.ts';
import type { ModelStepSpec, PlanStep, Run, Workflow } from '../schemas.ts';
import { renderTemplates } from '../templates.ts';
import { draftSubject } from './draft-memory.ts';
import { reserveModelCall, settleModelCall } from './model-budget.ts';
import { stepOutputsBefore } from './step-outputs.ts';

export interface ModelStepDeps {
  store: StateStore;
  model: ModelPort;
  catalog: WorkflowCatalog;
  clock: Clock;
  /** When given, a draft retrieves the operator's earlier drafts and edits of the same kind. */
  memory?: MemoryService;
  /** Calls per tier before falling to the other tier, and the first pause (doubled each time). */
  retry?: { attempts: number; baseDelayMs: number };
  /** A call that has not answered by then counts as a timeout (retried like a throttle). */
  callTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** What the orchestrator gets back; `handoff` sends it to wait for the operator's output. */
export interface ModelStepOutcome {
  runId: string;
  stepIndex: number;
  stepId: string;
  ok: boolean;
  note: string;
  status: 'done' | 'handoff';
}

const DEFAULT_RETRY = { attempts: 3, baseDelayMs: 500 };
const DEFAULT_CALL_TIMEOUT_MS = 60_000;
const CHECK_MAX_TOKENS = 300;

const SYSTEM = {
  draft: [
    'You are a drafting agent of aios. Write the text the <instructions> ask for, for the operator to send.',
    "Follow the operator's earlier wording in <memory> where it fits: it is how they write.",
    'Answer with the text only: no preamble, no quotes, no JSON.',
  ].join('\n'),
  extract: [
    'You are an extraction agent of aios. Read the <source> and fill the fields of the <schema>.',
    'Answer with one JSON object only. Leave out a field you cannot find; never invent a value.',
  ].join('\n'),
  check: [
    'You are the checking agent of aios. Check the <draft> against the <rules> and the <memory>.',
    'Answer with JSON only: {"ok": true|false, "reason": "one sentence"}.',
  ].join('\n'),
} as const;

const DRAFT_OUTPUT: ObjectField = {
  type: 'object',
  properties: { text: { type: 'string', minLength: 1, maxLength: 20_000 } },
  required: ['text'],
};

/**
 * Runs a model step (`model.draft`, `model.extract`) inside the run: the intent first, then the
 * budget reservation, then the call (retried with backoff, then on the other tier), the answer
 * validated against the step's declared output, and the output recorded on the intent, where
 * later steps read it. A model step has no effect outside aios, so it never passes the gateway.
 * Run again after a crash, it returns what was recorded without calling the model again.
 */
export function createModelStepRunner(deps: ModelStepDeps) {
  const retry = deps.retry ?? DEFAULT_RETRY;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = () => deps.clock.now().toISOString();
  const journal = (
    runId: string,
    kind: 'model' | 'retrieval' | 'handoff' | 'intent',
    message: string,
    data = {},
  ) => deps.store.appendJournal({ runId, at: now(), kind, message, data });

  async function run(runId: string, stepIndex: number, step: PlanStep): Promise<ModelStepOutcome> {
    const found = await deps.store.getRun(runId);
    if (!found) throw new NotFoundError(`run ${runId} does not exist`);
    const runRecord = found;
    const planned = (await deps.store.getPlan(runId))?.steps[stepIndex];
    if (!planned || planned.id !== step.id || !planned.model) {
      throw new NotFoundError(
        `model step ${stepIndex} (${step.id}) is not in the recorded plan of run ${runId}`,
      );
    }
    const spec = planned.model;
    const workflow = await workflowOf(deps.catalog, runRecord);
    const outcome = (status: ModelStepOutcome['status'], note: string): ModelStepOutcome => ({
      runId,
      stepIndex,
      stepId: planned.id,
      ok: status === 'done',
      note,
      status,
    });

    const existing = await deps.store.getIntent(runId, stepIndex);
    if (existing?.status === 'SUCCEEDED') return outcome('done', 'output already recorded');
    if (existing?.status === 'AWAITING_HANDOFF') return outcome('handoff', 'waiting for the operator');
    if (!existing) {
      await deps.store.recordIntent({
        runId,
        stepIndex,
        stepId: planned.id,
        title: planned.title,
        action: planned.action,
        idempotencyKey: idempotencyKeyFor(runId, stepIndex, planned.id),
        status: 'RECORDED',
        decision: 'allow',
        reason: 'a model step: it drafts a value and has no effect outside aios',
        attempts: 0,
        recordedAt: now(),
      });
    }

    const intents = await deps.store.listIntents(runId);
    const outputs = stepOutputsBefore(intents, stepIndex);
    const kind = modelStepKind(planned.action.type);
    const memories = kind === 'draft' ? await retrieve(runRecord, workflow, planned.id, stepIndex, spec) : [];
    const { scope, system, prompt, schema } = modelStepCall(runRecord, spec, kind, outputs, memories);
    const wanted: ModelTier = spec.tier ?? workflow.model.tier;

    const answered = await callWithFailover(runId, stepIndex, wanted, {
      purpose: kind,
      system,
      prompt,
      maxTokens: spec.maxTokens,
    });
    if ('error' in answered) {
      return giveUp(workflow, runId, stepIndex, planned.id, {
        prompt,
        error: answered.error,
        memories,
        outputs,
      }).then(() => outcome('handoff', `handed to the operator: ${answered.error}`));
    }

    const output = parseOutput(kind, answered.response.text, schema, planned.id);
    const check =
      answered.tier === 'slow'
        ? await crossCheck(runId, stepIndex, renderTemplates(spec.rules, scope) as string[], output, memories)
        : wanted === 'slow'
          ? {
              ok: false,
              reason: 'the slow tier was asked for but the draft came from the fast tier, unchecked',
            }
          : undefined;
    await deps.store.updateIntent(runId, stepIndex, ['RECORDED'], {
      status: 'SUCCEEDED',
      result: { ok: true, output, durationMs: answered.durationMs, attempts: answered.attempts },
      finishedAt: now(),
      ...(check ? { check } : {}),
    });
    const note =
      check && !check.ok
        ? `drafted on the ${answered.tier} tier; the cross-check failed (${check.reason}), so the next action waits for approval`
        : `${kind === 'draft' ? 'drafted' : 'extracted'} on the ${answered.tier} tier by ${answered.response.modelId}`;
    // The model entries hold prompts and answers; this one line is what a person follows.
    await journal(
      runId,
      'intent',
      `step ${stepIndex + 1} ${planned.id}: ${planned.action.type} done (${note})`,
      {
        stepIndex,
        tier: answered.tier,
        ...(check ? { check } : {}),
      },
    );
    return outcome('done', note);
  }

  /** The operator's earlier drafts and edits of this step, journaled with their scores and origins. */
  async function retrieve(
    run: Run,
    workflow: Workflow,
    stepId: string,
    stepIndex: number,
    spec: ModelStepSpec,
  ): Promise<MemoryHit[]> {
    if (!deps.memory) return [];
    const request = draftMemoryRequest(run, workflow, stepId, spec);
    try {
      const result = await deps.memory.search(request, { explain: 10 });
      await journal(
        run.runId,
        'retrieval',
        `step ${stepIndex + 1} ${stepId} retrieved ${result.hits.length} memor${result.hits.length === 1 ? 'y' : 'ies'}${
          result.hits.length
            ? `: ${result.hits.map((h) => `${h.id} (${h.kind}, ${h.score}, from ${originText(h)})`).join(', ')}`
            : ''
        }`,
        {
          purpose: 'draft',
          stepIndex,
          request,
          indexVersion: result.indexVersion,
          candidates: (result.considered ?? result.hits).map((h) => ({
            rank: h.rank,
            id: h.id,
            kind: h.kind,
            score: h.score,
            origin: h.origin,
            used: h.rank <= request.k,
          })),
        },
      );
      return result.hits;
    } catch (error) {
      await journal(
        run.runId,
        'retrieval',
        `step ${stepIndex + 1} ${stepId} could not read memory, drafting without it: ${(error as Error).message}`,
        {
          purpose: 'draft',
          stepIndex,
          error: (error as Error).name,
        },
      );
      return [];
    }
  }

  /**
   * The chosen tier first, each call retried with backoff while the error is a throttle, a timeout
   * or a server error; then the other tier the same way. Each call is reserved before it is made.
   */
  async function callWithFailover(
    runId: string,
    stepIndex: number,
    wanted: ModelTier,
    call: { purpose: string; system: string; prompt: string; maxTokens: number },
  ): Promise<
    { response: ModelResponse; tier: ModelTier; durationMs: number; attempts: number } | { error: string }
  > {
    const errors: string[] = [];
    let attempts = 0;
    for (const preferred of wanted === 'slow' ? (['slow', 'fast'] as const) : (['fast', 'slow'] as const)) {
      for (let attempt = 1; attempt <= retry.attempts; attempt += 1) {
        const reservation = await reserveModelCall(deps, runId, preferred, call);
        const started = Date.now();
        attempts += 1;
        try {
          const response = await withDeadline(
            deps.model.converse({
              tier: reservation.tier,
              system: call.system,
              prompt: call.prompt,
              maxTokens: call.maxTokens,
            }),
            deps.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
          );
          const costUsd = deps.model.priceUsd(response.modelId, response.inputTokens, response.outputTokens);
          await settleModelCall(deps, runId, reservation, costUsd);
          const durationMs = Date.now() - started;
          await journal(
            runId,
            'model',
            `step ${stepIndex + 1} asked ${response.modelId} (${reservation.tier} tier) to ${call.purpose}`,
            {
              purpose: call.purpose,
              stepIndex,
              tier: reservation.tier,
              modelId: response.modelId,
              prompt: call.prompt,
              answer: response.text,
              inputTokens: response.inputTokens,
              outputTokens: response.outputTokens,
              costUsd,
              durationMs,
              attempt,
            },
          );
          return { response, tier: reservation.tier, durationMs, attempts };
        } catch (error) {
          await settleModelCall(deps, runId, reservation, 0);
          const retryable = error instanceof ModelCallError && error.retryable;
          const message = `${reservation.tier} tier, attempt ${attempt}: ${(error as Error).message}`;
          errors.push(message);
          await journal(runId, 'model', `step ${stepIndex + 1} model call failed (${message})`, {
            purpose: call.purpose,
            stepIndex,
            tier: reservation.tier,
            attempt,
            error: (error as Error).name,
            retryable,
          });
          if (!retryable) break;
          if (attempt < retry.attempts) await sleep(retry.baseDelayMs * 2 ** (attempt - 1));
        }
      }
    }
    return {
      error: `the model failed ${attempts} time${attempts === 1 ? '' : 's'} on both tiers: ${errors.at(-1) ?? ''}`,
    };
  }

  /** The slow tier's second call: does the draft hold to the step's rules and the operator's memory? */
  async function crossCheck(
    runId: string,
    stepIndex: number,
    rules: readonly string[],
    output: Record<string, unknown>,
    memories: readonly MemoryHit[],
  ): Promise<{ ok: boolean; reason: string }> {
    const prompt = [
      `<task>check</task>`,
      `<draft>${JSON.stringify(output)}</draft>`,
      `<rules>${JSON.stringify(rules)}</rules>`,
      `<memory>${JSON.stringify(memories.map((m) => ({ id: m.id, text: m.text })))}</memory>`,
    ].join('\n');
    const answered = await callWithFailover(runId, stepIndex, 'slow', {
      purpose: 'check',
      system: SYSTEM.check,
      prompt,
      maxTokens: CHECK_MAX_TOKENS,
    });
    // A check that cannot be made, or read, is not a pass: the next action waits for a person.
    if ('error' in answered)
      return { ok: false, reason: `the cross-check could not be made: ${answered.error}` };
    const parsed = parseJson(answered.response.text) as { ok?: unknown; reason?: unknown } | undefined;
    if (typeof parsed?.ok !== 'boolean') {
      return { ok: false, reason: 'the checker answered something other than {"ok", "reason"}' };
    }
    return {
      ok: parsed.ok,
      reason:
        typeof parsed.reason === 'string' ? parsed.reason : parsed.ok ? 'fits the rules' : 'no reason given',
    };
  }

  /** Every attempt failed: the workflow's `onModelFailure` decides what the run does. */
  async function giveUp(
    workflow: Workflow,
    runId: string,
    stepIndex: number,
    stepId: string,
    gathered: { prompt: string; error: string; memories: MemoryHit[]; outputs: Record<string, unknown> },
  ): Promise<void> {
    const policy = workflow.model.onModelFailure;
    if (policy === 'fail') throw new ModelFailedError(`step ${stepIndex + 1} ${stepId}: ${gathered.error}`);
    if (policy === 'defer') {
      await journal(
        runId,
        'model',
        `step ${stepIndex + 1} ${stepId} deferred to a later retry: ${gathered.error}`,
      );
      throw new ModelDeferredError(`step ${stepIndex + 1} ${stepId}: ${gathered.error}`);
    }
    await deps.store.updateIntent(runId, stepIndex, ['RECORDED'], {
      status: 'AWAITING_HANDOFF',
      error: gathered.error,
      handoff: {
        prompt: gathered.prompt,
        error: gathered.error,
        memories: gathered.memories.map((m) => ({
          id: m.id,
          kind: m.kind,
          score: m.score,
          origin: m.origin,
          text: m.text,
        })),
        outputs: gathered.outputs,
      },
    });
    await journal(
      runId,
      'handoff',
      `step ${stepIndex + 1} ${stepId} handed to the operator: ${gathered.error}`,
      {
        stepIndex,
        error: gathered.error,
      },
    );
  }

  return { run };
}

export const modelStepKind = (actionType: string): 'draft' | 'extract' =>
  actionType === 'model.extract' ? 'extract' : 'draft';

/**
 * What a model step asks the model, from the run, the step's spec, the earlier steps' outputs and
 * the memories retrieved: the one place the prompt is built (the run and its replay ask alike).
 */
export function modelStepCall(
  run: Run,
  spec: ModelStepSpec,
  kind: 'draft' | 'extract',
  outputs: Record<string, unknown>,
  memories: readonly MemoryHit[],
) {
  const scope = { input: run.input, run: { id: run.runId, mode: run.mode }, steps: outputs };
  const instructions = String(renderTemplates(spec.prompt, scope));
  const source = spec.source === undefined ? undefined : renderTemplates(spec.source, scope);
  const schema = spec.output ?? DRAFT_OUTPUT;
  const prompt = [
    `<task>${kind}</task>`,
    `<instructions>${instructions}</instructions>`,
    `<inputs>${JSON.stringify(run.input)}</inputs>`,
    ...(Object.keys(outputs).length > 0 ? [`<outputs>${JSON.stringify(outputs)}</outputs>`] : []),
    ...(memories.length > 0
      ? [
          `<memory>${JSON.stringify(memories.map((m) => ({ id: m.id, kind: m.kind, score: m.score, text: m.text })))}</memory>`,
        ]
      : []),
    ...(source === undefined
      ? []
      : [`<source>${typeof source === 'string' ? source : JSON.stringify(source)}</source>`]),
    `<schema>${JSON.stringify(schema)}</schema>`,
  ].join('\n');
  return { scope, system: SYSTEM[kind], prompt, schema };
}

/** What a draft retrieves: the operator's earlier drafts and edits of this step, from the run's namespace and theirs. */
export function draftMemoryRequest(run: Run, workflow: Workflow, stepId: string, spec: ModelStepSpec) {
  const namespace = [...new Set([memoryNamespaceOf(run), 'operator'])];
  const request = {
    q: `${workflow.name} ${stepId}: ${spec.prompt}`.slice(0, 2000),
    namespace,
    kind: spec.memory?.kinds ?? ['draft-edit', 'draft'],
    k: spec.memory?.k ?? 3,
  };
  const subjects = spec.memory?.subjects ?? [draftSubject(workflow.name, stepId)];
  return subjects.length > 0 ? { ...request, subject: subjects } : request;
}

const originText = (hit: MemoryHit) =>
  hit.origin.runId
    ? `run ${hit.origin.runId}${hit.origin.stepIndex === undefined ? '' : ` step ${hit.origin.stepIndex + 1}`}`
    : (hit.origin.document ?? 'the operator');

/**
 * A draft's answer is its text; an extraction's answer must be JSON. Either is checked against the
 * declared output as a whole: an answer that does not fit is an error naming the fields, and
 * nothing of it is kept.
 */
export function parseOutput(
  kind: 'draft' | 'extract',
  text: string,
  schema: ObjectField,
  stepId: string,
): Record<string, unknown> {
  const candidate = kind === 'draft' ? { text: text.trim() } : parseJson(text);
  if (candidate === undefined) {
    throw new ModelOutputInvalidError(
      `step ${stepId}: the model's answer is not JSON: ${JSON.stringify(text.slice(0, 200))}`,
    );
  }
  const parsed = compileInputSchema(schema).safeParse(candidate);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelOutputInvalidError(
      `step ${stepId}: the model's answer does not fit the declared output: ${detail}`,
    );
  }
  return parsed.data;
}

function parseJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  try {
    return JSON.parse((fenced?.[1] ?? text).trim());
  } catch {
    return undefined;
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ModelCallError(`no answer within ${ms} ms`, true)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
