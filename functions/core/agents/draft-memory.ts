import type { MemoryService } from '../memory/memory-service.ts';
import type { Intent, Run } from '../schemas.ts';
import { valueAt } from './step-outputs.ts';

/** The memory subject a step's drafts and edits are filed under. */
export const draftSubject = (workflow: string, stepId: string) => `draft:${workflow}:${stepId}`;

/** What a finished run taught about its drafts: one line each, for the journal. */
export interface Remembered {
  id: string;
  kind: 'draft' | 'draft-edit' | 'draft-diff';
  stepIndex: number;
}

/**
 * Compounding memory: for every external action whose parameters a model drafted, the text that
 * went out is written to long-term memory under the drafting step's subject, with its origin. An
 * operator's edit is what matters most: the edited wording (`draft-edit`, which the next draft
 * starts from) and the change itself (`draft-diff`). An approved draft sent as drafted is kept as
 * `draft`. Ids derive from the run and step, so a repeated call writes nothing twice.
 */
export async function rememberDrafts(
  memory: Pick<MemoryService, 'write'>,
  run: Run,
  intents: readonly Intent[],
  namespace: string,
): Promise<Remembered[]> {
  const written: Remembered[] = [];
  for (const intent of intents) {
    if (intent.status !== 'SUCCEEDED') continue;
    written.push(...(await rememberIntentDrafts(memory, run, intent, namespace)));
  }
  return written;
}

/**
 * The drafts of one external action, as the operator let them go: called when the approval is
 * taken up (the intent approved, with the edits) and again when the run succeeds. The ids are the
 * same both times, so the second call writes nothing; how the run ends does not matter.
 */
export async function rememberIntentDrafts(
  memory: Pick<MemoryService, 'write'>,
  run: Run,
  intent: Intent,
  namespace: string,
): Promise<Remembered[]> {
  const written: Remembered[] = [];
  for (const drafted of intent.drafted ?? []) {
    const sent = valueAt(intent.action.params, drafted.param);
    if (typeof sent !== 'string' || !sent.trim()) continue;
    const edited = sent !== drafted.text;
    const approved = intent.reason?.startsWith('approved') ?? false;
    if (!edited && !approved) continue;
    const base = {
      namespace,
      tier: 'long-term' as const,
      subject: draftSubject(run.workflow, drafted.stepId),
      origin: { runId: run.runId, stepIndex: intent.stepIndex },
    };
    const suffix = `${run.runId}-s${intent.stepIndex}-${drafted.param}`.replace(/[^A-Za-z0-9._-]/g, '-');
    if (edited) {
      const id = `draft-edit-${suffix}`.slice(0, 128);
      await memory.write({ ...base, id, kind: 'draft-edit', text: sent });
      written.push({ id, kind: 'draft-edit', stepIndex: intent.stepIndex });
      const diffId = `draft-diff-${suffix}`.slice(0, 128);
      await memory.write({
        ...base,
        id: diffId,
        kind: 'draft-diff',
        text: `The operator edited the ${drafted.stepId} draft (${drafted.param}) before it went out:\n${lineDiff(drafted.text, sent)}`.slice(
          0,
          8000,
        ),
      });
      written.push({ id: diffId, kind: 'draft-diff', stepIndex: intent.stepIndex });
    } else {
      const id = `draft-${suffix}`.slice(0, 128);
      await memory.write({ ...base, id, kind: 'draft', text: sent });
      written.push({ id, kind: 'draft', stepIndex: intent.stepIndex });
    }
  }
  return written;
}

/** A plain line diff: `- ` lines the operator removed, `+ ` lines they wrote, common lines left out. */
export function lineDiff(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // Longest common subsequence of lines: drafts are short, so the quadratic table is fine.
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1)
    for (let j = b.length - 1; j >= 0; j -= 1)
      (table[i] as number[])[j] =
        a[i] === b[j]
          ? ((table[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((table[i + 1] as number[])[j] as number, (table[i] as number[])[j + 1] as number);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i += 1;
      j += 1;
    } else if (
      i < a.length &&
      (j >= b.length ||
        ((table[i + 1] as number[])[j] as number) >= ((table[i] as number[])[j + 1] as number))
    ) {
      out.push(`- ${a[i]}`);
      i += 1;
    } else {
      out.push(`+ ${b[j]}`);
      j += 1;
    }
  }
  return out.join('\n');
}
