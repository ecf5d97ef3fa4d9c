import { writeSync } from 'node:fs';
import * as z from 'zod';
import type { ApprovalStore } from '../../functions/core/approvals/service.ts';
import { type ConnectorCatalogue, catalogueOf } from '../../functions/core/connector.ts';
import type { OrchestratorCallbacks, StateStore } from '../../functions/core/ports.ts';

/**
 * Fault injection for the soak (`npm run soak`): with `AIOS_FAULTS` set, the local runtime kills
 * itself with SIGKILL at the windows where a crash is known to hurt, each with a probability per
 * occurrence. It wraps ports at composition time, so no domain code knows about it, and without
 * the variable nothing is wrapped at all.
 */
export const FAULT_WINDOWS = [
  'after-run-record',
  'after-decision',
  'after-effect',
  'before-task-answer',
] as const;
export type FaultWindow = (typeof FAULT_WINDOWS)[number];
export const FAULTS_VARIABLE = 'AIOS_FAULTS';
/** What the process writes to stderr just before it kills itself; the soak counts these lines. */
export const FAULT_MARKER = 'aios-fault: SIGKILL at';

export type FaultSpec = ReadonlyMap<FaultWindow, number>;

const EntrySchema = z.object({
  window: z.enum(FAULT_WINDOWS, { error: `window must be one of ${FAULT_WINDOWS.join(', ')}` }),
  probability: z.coerce
    .number({ error: 'probability must be a number' })
    .min(0, 'probability must be between 0 and 1')
    .max(1, 'probability must be between 0 and 1'),
});

/** `after-effect:0.05,after-decision:0.2`: a window and a probability per occurrence, comma-separated. */
export function parseFaultSpec(spec: string): FaultSpec {
  const windows = new Map<FaultWindow, number>();
  for (const entry of spec.split(',').map((part) => part.trim())) {
    if (!entry) continue;
    const [window, probability, extra] = entry.split(':');
    const parsed = EntrySchema.safeParse({
      window,
      probability: probability === '' ? undefined : probability,
    });
    if (!parsed.success || extra !== undefined) {
      const problem = parsed.success ? 'one window and one probability' : parsed.error.issues[0]?.message;
      throw new Error(`${FAULTS_VARIABLE}: "${entry}" is not window:probability (${problem})`);
    }
    windows.set(parsed.data.window, parsed.data.probability);
  }
  return windows;
}

/** How ports are wrapped; without faults every method returns what it is given. */
export interface Faults {
  readonly spec: FaultSpec;
  stateStore(store: StateStore): StateStore;
  approvalStore(store: ApprovalStore): ApprovalStore;
  /** Only the gateway's copy: it is the one door every effect goes through. */
  catalogue(connectors: ConnectorCatalogue): ConnectorCatalogue;
  callbacks(callbacks: OrchestratorCallbacks): OrchestratorCallbacks;
}

export interface FaultOptions {
  random?: () => number;
  /** What a fault does; the default writes the marker and SIGKILLs this process. */
  crash?: (window: FaultWindow) => void;
}

function killThisProcess(window: FaultWindow) {
  // Synchronous, so the line is in the pipe before the signal lands.
  writeSync(2, `${FAULT_MARKER} ${window}\n`);
  process.kill(process.pid, 'SIGKILL');
}

export function createFaults(spec: FaultSpec, options: FaultOptions = {}): Faults {
  const random = options.random ?? Math.random;
  const crash = options.crash ?? killThisProcess;
  const maybeCrash = (window: FaultWindow) => {
    const probability = spec.get(window) ?? 0;
    if (probability > 0 && random() < probability) crash(window);
  };
  if (spec.size === 0) {
    return {
      spec,
      stateStore: (store) => store,
      approvalStore: (store) => store,
      catalogue: (connectors) => connectors,
      callbacks: (callbacks) => callbacks,
    };
  }
  return {
    spec,
    stateStore: (store) => ({
      ...store,
      // The run record exists, the execution does not yet.
      async createRun(run) {
        await store.createRun(run);
        maybeCrash('after-run-record');
      },
    }),
    approvalStore: (store) => ({
      ...store,
      // The decision is written, the paused run has not heard of it yet.
      async settle(approvalId, settlement) {
        const settled = await store.settle(approvalId, settlement);
        if (settlement.decision) maybeCrash('after-decision');
        return settled;
      },
    }),
    catalogue: (connectors) =>
      catalogueOf(
        [...connectors.values()].map((connector) => ({
          ...connector,
          // The effect happened outside, the gateway has not recorded it.
          async execute(params, context) {
            const result = await connector.execute(params, context);
            maybeCrash('after-effect');
            return result;
          },
        })),
      ),
    callbacks: (callbacks) => ({
      async taskSucceeded(token, output) {
        maybeCrash('before-task-answer');
        return callbacks.taskSucceeded(token, output);
      },
      async taskFailed(token, error, cause) {
        maybeCrash('before-task-answer');
        return callbacks.taskFailed(token, error, cause);
      },
    }),
  };
}

/** Reads `AIOS_FAULTS` once, at start-up, and says loudly when faults are on. */
export function faultsFromEnv(env: NodeJS.ProcessEnv = process.env): Faults {
  const spec = parseFaultSpec(env[FAULTS_VARIABLE] ?? '');
  if (spec.size > 0) {
    const windows = [...spec].map(([window, p]) => `${window} ${(p * 100).toFixed(1)}%`).join(', ');
    console.warn(
      `aios: fault injection is ON (${FAULTS_VARIABLE}): this process kills itself with SIGKILL at ${windows}. Only for the soak.`,
    );
  }
  return createFaults(spec);
}
