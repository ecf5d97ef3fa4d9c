/**
 * A process that runs run.asl.json on an on-disk store, for the SIGKILL tests.
 *   start <dir> <log> [killAt]  starts an execution holding step 1's action and prints SUBMITTED per
 *                               TaskSubmitted; with killAt, SIGKILLs itself right after that side effect.
 *   resume <dir> <log>          resumes, answers every action message logged before, prints RESULT.
 */
import { readSideEffects, startRunMachineHost } from './run-machine-host.ts';

const [mode, dir, logFile, killAt] = process.argv.slice(2);
if (!mode || !dir || !logFile) throw new Error('usage: crash-child.ts start|resume <dir> <log> [killAt]');
const earlierEffects = readSideEffects(logFile);

const host = await startRunMachineHost({
  dir,
  logFile,
  holdSteps: mode === 'start' ? [1] : [],
  onEvent: (event) => {
    if (event.type === 'TaskSubmitted') process.stdout.write('SUBMITTED\n');
  },
  afterSideEffect: (count) => {
    // Dies inside the resource call: the effect happened, its result was never recorded.
    if (String(count) === killAt) process.kill(process.pid, 'SIGKILL');
  },
});

if (mode === 'start') {
  await host.sfn.startExecution({
    stateMachineName: 'run',
    name: 'crash-run',
    input: { runId: 'crash-run' },
  });
  setInterval(() => undefined, 1_000);
} else {
  const [executionArn] = await host.sfn.resumeAll();
  if (!executionArn) throw new Error('nothing to resume');
  for (const effect of earlierEffects) {
    if (effect.kind !== 'message') continue;
    // Tokens already answered before the kill are closed: the service says TaskTimedOut.
    await host.sfn
      .sendTaskSuccess(effect.body.taskToken, JSON.stringify({ done: effect.body.stepIndex }))
      .catch((error: Error) => {
        if (error.name !== 'TaskTimedOut') throw error;
      });
  }
  const done = await host.sfn.waitForExecution(executionArn, 30_000);
  process.stdout.write(`RESULT ${JSON.stringify({ status: done.status, output: done.output })}\n`);
  await host.close();
}
