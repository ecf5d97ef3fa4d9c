import type { z } from 'zod';

export interface ConnectorContext {
  /** Sent on to providers that accept one, so a repeated call is one effect. */
  idempotencyKey: string;
  runId: string;
  stepIndex: number;
  now: Date;
}

/** One kind of external action. Params are validated by `paramsSchema` before `execute` runs. */
export interface Connector<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly paramsSchema: S;
  execute(params: z.infer<S>, context: ConnectorContext): Promise<Record<string, unknown>>;
}

export type ConnectorCatalogue = ReadonlyMap<string, Connector>;

export function catalogueOf(connectors: readonly Connector[]): ConnectorCatalogue {
  return new Map(connectors.map((c) => [c.type, c]));
}
