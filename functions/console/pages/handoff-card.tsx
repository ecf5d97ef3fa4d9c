/** @jsxImportSource hono/jsx */
import type { Handoff } from '../../core/agents/handoff.ts';
import { time } from './format.ts';
import { ActionForm, href } from './layout.tsx';

// A run's input and step outputs are the operator's own data, but a field named like a credential
// (a connector's answer with a token, a webhook's signature) is hidden: no page shows one.
const SECRET_NAME =
  /token|secret|password|passwd|grant|signature|authori[sz]ation|cookie|api[-_]?key|credential/i;

function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([name, field]) => [
        name,
        SECRET_NAME.test(name) ? '[hidden]' : withoutSecrets(field),
      ]),
    );
  return value;
}

export const json = (value: unknown) => JSON.stringify(withoutSecrets(value), null, 2);

/** A model step handed to the operator: what it gathered, and a form to write its output. */
export function HandoffCard({ handoff, csrf }: { handoff: Handoff; csrf: string }) {
  const id = handoff.handoffId;
  const extract = handoff.kind === 'model.extract';
  return (
    <section class="card" aria-labelledby={`h-${id}`}>
      <h2 id={`h-${id}`}>{`Write: ${handoff.title}`}</h2>
      <p class="muted">
        {`${handoff.workflow} · step ${handoff.stepIndex + 1} (${handoff.kind}) · handed off ${time(handoff.createdAt)} · `}
        <a href={href(`/runs/${encodeURIComponent(handoff.runId)}`)}>run</a>
      </p>
      <p class="bad">{`The model could not do it: ${handoff.error}`}</p>
      <details>
        <summary>What the step gathered</summary>
        <h3>Prompt</h3>
        <pre>{handoff.prompt}</pre>
        <h3>Run input</h3>
        <pre>{json(handoff.input)}</pre>
        <h3>Earlier outputs</h3>
        <pre>{json(handoff.outputs)}</pre>
        {handoff.memories.length > 0 && (
          <>
            <h3>Retrieved memory</h3>
            <pre>{json(handoff.memories)}</pre>
          </>
        )}
      </details>
      <ActionForm action={href(`/handoffs/${encodeURIComponent(id)}`)} csrf={csrf}>
        <label for={`${id}-text`}>{extract ? 'The fields, as JSON' : 'The text'}</label>
        <textarea id={`${id}-text`} name="text" rows={6} cols={60} maxlength={20_000} required />
        <p>
          <button type="submit">Complete the step</button>
        </p>
      </ActionForm>
    </section>
  );
}
