import type * as z from 'zod';

export interface ConnectorContext {
  /** Sent on to providers that accept one, so a repeated call is one effect. */
  idempotencyKey: string;
  runId: string;
  stepIndex: number;
  now: Date;
  /**
   * Aborts when the call must stop: before the intent's lease and the message's visibility end,
   * so no other attempt can start while this one is still in its call. The gateway always
   * passes one; a connector hands it to every request it makes and checks it before any write.
   */
  signal?: AbortSignal;
}

/** How much harm a mistaken call can do; the policy decides by it. */
export type Risk = 'read' | 'write' | 'external-message' | 'money';

/** A compensating action: what to run, through the same gateway, to undo an effect. */
export interface Compensation {
  action: string;
  params(params: Record<string, unknown>, output: Record<string, unknown>): Record<string, unknown>;
}

/** One kind of external action. Params are validated by `paramsSchema` before `execute` runs. */
export interface Connector<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly paramsSchema: S;
  readonly risk: Risk;
  /** Whether the effect can be undone (by the compensation its descriptor names, or by its nature). */
  readonly undoable: boolean;
  /**
   * Whether repeating a call with the same idempotency key is safe (the provider dedupes, or the
   * write is conditional). When it is not and an attempt's outcome is unknown, the gateway hands
   * the intent to the operator instead of trying again.
   */
  readonly idempotent: boolean;
  execute(params: z.infer<S>, context: ConnectorContext): Promise<Record<string, unknown>>;
}

export type ConnectorCatalogue = ReadonlyMap<string, Connector>;

export function catalogueOf(connectors: readonly Connector[]): ConnectorCatalogue {
  return new Map(connectors.map((c) => [c.type, c]));
}
