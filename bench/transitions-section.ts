import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runDefinitionCosts, TRANSITION_GOALS } from '../lib/cloud/state-transitions.ts';
import type { StateMachineDefinition } from '../lib/local/asl/types.ts';
import { atMost, type Bench } from './report.ts';
import { renderTable } from './table.ts';

const RUN_DEFINITION = fileURLToPath(new URL('../statemachines/run.asl.json', import.meta.url));

/** Issue 15, goal 5: what a run costs in Step Functions, computed from the definition (no AWS call). */
export async function transitionsSection(bench: Bench): Promise<void> {
  const machine = JSON.parse(readFileSync(RUN_DEFINITION, 'utf8')) as StateMachineDefinition;
  const costs = runDefinitionCosts(machine);
  bench.say();
  bench.say('## (t) Step Functions cost of a run, from statemachines/run.asl.json');
  bench.say();
  bench.say(
    renderTable(
      [
        { header: 'path' },
        { header: 'state transitions', align: 'right' },
        { header: 'history events', align: 'right' },
        { header: 'states entered' },
      ],
      [
        ['allowed action step', costs.allowedStep],
        ['approved action step', costs.approvedStep],
        ['model step, answered', costs.modelStep],
        ['20-step run, every step allowed', costs.allowedRunOf20],
        ['20-step run, every step approved', costs.approvedRunOf20],
      ].map(([name, cost]) => {
        const c = cost as (typeof costs)['allowedStep'];
        return [name as string, String(c.transitions), String(c.historyEvents), c.states.join(' > ')];
      }),
    ),
  );
  bench.say();
  bench.say(
    '- One transition per state entered (Choice and Pass included), as Standard workflows are billed;',
  );
  bench.say(
    '  history events per state type on the happy path (a Task 5, or 6 when it waits for a task token;',
  );
  bench.say("  Choice, Pass and Succeed 2; a Map 4 plus 2 per iteration), plus the execution's 2.");
  bench.say(
    '  Computed by lib/cloud/state-transitions.ts; test/infra/state-transitions.test.ts holds the ceilings.',
  );
  bench.figure({
    name: 'state transitions per allowed step',
    value: costs.allowedStep.transitions,
    unit: '',
    ...atMost(costs.allowedStep.transitions, TRANSITION_GOALS.allowedStep),
  });
  bench.figure({
    name: 'state transitions per approved step',
    value: costs.approvedStep.transitions,
    unit: '',
    ...atMost(costs.approvedStep.transitions, TRANSITION_GOALS.approvedStep),
  });
  bench.figure({
    name: 'history events of a 20-step run (every step approved)',
    value: costs.approvedRunOf20.historyEvents,
    unit: '',
    ...atMost(costs.approvedRunOf20.historyEvents, TRANSITION_GOALS.historyEventsOf20Steps),
    peer: 'Step Functions keeps 25,000 per execution',
  });
}
