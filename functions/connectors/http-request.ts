import { z } from 'zod';
import type { Connector } from '../core/connector.ts';
import { PermanentConnectorError, TransientConnectorError } from '../core/errors.ts';

export const HttpRequestParams = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.unknown().optional(),
  timeoutMs: z.number().int().positive().max(30_000).default(10_000),
  /** The name of a stored credential (Secrets Manager on AWS, .aios/credentials/http locally), never its value. */
  credential: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a credential name: lowercase letters, digits and dashes')
    .optional(),
  /** The header the credential's value goes in, e.g. "authorization" with a stored "Bearer sk_live_…". */
  credentialHeader: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/)
    .default('authorization'),
});

/** Looks up a stored credential's value by name; throws when there is none. */
export type CredentialLookup = (name: string) => Promise<string>;

const MAX_BODY_CHARS = 4000;

/**
 * Calls a webhook or HTTP API. The intent's idempotency key travels as the Idempotency-Key
 * header, so a provider that honours it (as Stripe-style APIs do) applies a retried call once.
 */
export function httpRequestConnector(
  fetchImpl: typeof fetch = fetch,
  credentials?: CredentialLookup,
): Connector<typeof HttpRequestParams> {
  return {
    type: 'http.request',
    paramsSchema: HttpRequestParams,
    risk: 'write',
    undoable: false,
    // The Idempotency-Key header makes a repeat safe with providers that honour it.
    idempotent: true,
    async execute(params, context) {
      // Plans and intents name the credential; its value is fetched here, used once, never recorded.
      const secretHeaders: Record<string, string> = {};
      if (params.credential) {
        if (!credentials)
          throw new PermanentConnectorError(`no credential store is configured for ${params.credential}`);
        try {
          secretHeaders[params.credentialHeader.toLowerCase()] = await credentials(params.credential);
        } catch (error) {
          throw new PermanentConnectorError(
            `credential ${params.credential} could not be read: ${(error as Error).message}`,
          );
        }
      }
      let response: Response;
      try {
        response = await fetchImpl(params.url, {
          method: params.method,
          headers: {
            'content-type': 'application/json',
            ...params.headers,
            ...secretHeaders,
            'idempotency-key': context.idempotencyKey,
          },
          body:
            params.body === undefined || params.method === 'GET' ? undefined : JSON.stringify(params.body),
          // Its own timeout, and the gateway's deadline for the whole attempt, whichever comes first.
          signal: context.signal
            ? AbortSignal.any([context.signal, AbortSignal.timeout(params.timeoutMs)])
            : AbortSignal.timeout(params.timeoutMs),
        });
      } catch (error) {
        throw new TransientConnectorError(
          `${params.method} ${params.url} did not answer: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      const text = (await response.text()).slice(0, MAX_BODY_CHARS);
      if (response.status === 429 || response.status >= 500) {
        throw new TransientConnectorError(`${params.method} ${params.url} answered ${response.status}`);
      }
      if (response.status >= 400) {
        throw new PermanentConnectorError(
          `${params.method} ${params.url} answered ${response.status}: ${text.slice(0, 200)}`,
        );
      }
      return { status: response.status, body: text };
    },
  };
}
