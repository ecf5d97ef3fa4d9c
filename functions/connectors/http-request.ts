import * as z from 'zod';
import type { Connector } from '../core/connector.ts';
import { CredentialRefusedError, PermanentConnectorError, TransientConnectorError } from '../core/errors.ts';
import { lazySchema } from '../core/lazy-schema.ts';
import { logger, metrics } from '../shared/powertools.ts';
import { type CredentialLookup, credentialAllows, type HttpCredential } from './http-credential.ts';

export const HttpRequestParams = lazySchema(() =>
  z.object({
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
  }),
);

const MAX_BODY_CHARS = 4000;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The credential's header for this URL, or a refusal: a credential goes only to the hosts stored
 * with it. A refusal is logged as an error and counted (the CredentialRefused metric, which
 * alarms on AWS), since a plan that points a credential elsewhere is an attack or a mistake.
 */
async function credentialHeaders(
  params: z.infer<typeof HttpRequestParams>,
  credentials: CredentialLookup | undefined,
  context: { runId: string; stepIndex: number },
): Promise<Record<string, string>> {
  const name = params.credential;
  if (!name) return {};
  if (!credentials) throw new PermanentConnectorError(`no credential store is configured for ${name}`);
  let credential: HttpCredential;
  try {
    credential = await credentials(name);
  } catch (error) {
    throw new PermanentConnectorError(`credential ${name} could not be read: ${(error as Error).message}`);
  }
  const check = credentialAllows(name, credential, params.url);
  if (!check.ok) {
    logger.error('http.request refused: a credential was aimed at a host it is not bound to', {
      runId: context.runId,
      stepIndex: context.stepIndex,
      credential: name,
      reason: check.reason,
    });
    metrics.addMetric('CredentialRefused', 'Count', 1);
    throw new CredentialRefusedError(`refused before sending: ${check.reason}`);
  }
  return { [params.credentialHeader.toLowerCase()]: credential.value };
}

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
      const secretHeaders = await credentialHeaders(params, credentials, context);
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
          // A redirect could lead the credential to a host it is not bound to: never followed with one.
          redirect: params.credential ? 'manual' : 'follow',
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
      if (params.credential && REDIRECTS.has(response.status)) {
        throw new PermanentConnectorError(
          `${params.method} ${params.url} answered ${response.status}, a redirect to ${response.headers.get('location') ?? 'nowhere said'}; ` +
            `a request carrying credential ${params.credential} follows no redirect, so name the final URL in the step`,
        );
      }
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
