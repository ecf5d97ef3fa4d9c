/** @jsxImportSource hono/jsx */
import type { ConnectorStatus } from '../../connectors/status.ts';
import type { DeadLetter } from '../../core/ports.ts';
import { time } from './format.ts';
import { ActionForm, href, Layout } from './layout.tsx';

export interface ConnectorsPageProps {
  csrf: string;
  connectors: readonly ConnectorStatus[];
  deadLetters: readonly DeadLetter[];
}

/** Each action type with its breaker, and the dead letters (summaries only: never a task token or grant) with a redrive button. */
export function ConnectorsPage({ csrf, connectors, deadLetters }: ConnectorsPageProps) {
  return (
    <Layout title="Connectors and dead letters" csrf={csrf}>
      <div class="scroll">
        <table>
          <caption class="muted">Action types and their circuit breakers</caption>
          <thead>
            <tr>
              <th scope="col">Action</th>
              <th scope="col">Risk</th>
              <th scope="col">Breaker</th>
            </tr>
          </thead>
          <tbody>
            {connectors.map((c) => (
              <tr>
                <td>{c.type}</td>
                <td>{c.risk}</td>
                <td class={c.breakerState.state === 'closed' ? 'ok' : 'bad'}>{c.breakerState.state}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Dead letters</h2>
      {deadLetters.length === 0 ? (
        <p>None: the gateway gave up on nothing.</p>
      ) : (
        <>
          <ul>
            {deadLetters.map((d) => (
              <li>
                {`${time(d.sentAt)} · ${d.actionType ?? 'unknown action'} · received ${d.receiveCount}× · `}
                {d.runId && <a href={href(`/runs/${encodeURIComponent(d.runId)}`)}>{d.runId}</a>}
                <div class="muted">{d.summary}</div>
              </li>
            ))}
          </ul>
          <ActionForm action={href('/dead-letters/redrive')} csrf={csrf}>
            <button type="submit">{`Send all ${deadLetters.length} back to the action queue`}</button>
          </ActionForm>
        </>
      )}
    </Layout>
  );
}
