import { afterEach, describe, expect, it, vi } from 'vitest';

/*
 * The schemas of these modules are built on first use (lazySchema), because a Lambda bundle holds
 * whole modules and each function parses few of their records: building them at import was about a
 * third of what aios adds to a cold import (bench section a). Importing any of them must build no
 * object schema; one that does (a new schema written eagerly, or a module-level `.extend` of a lazy
 * one) fails here with its name.
 */
const MODULES: Record<string, () => Promise<unknown>> = {
  'core/schemas.ts': () => import('../../../functions/core/schemas.ts'),
  'core/input-schema.ts': () => import('../../../functions/core/input-schema.ts'),
  'core/workflow-schema.ts': () => import('../../../functions/core/workflow-schema.ts'),
  'core/playbook-schema.ts': () => import('../../../functions/core/playbook-schema.ts'),
  'core/approvals/approval.ts': () => import('../../../functions/core/approvals/approval.ts'),
  'core/trust/schemas.ts': () => import('../../../functions/core/trust/schemas.ts'),
  'core/memory/schemas.ts': () => import('../../../functions/core/memory/schemas.ts'),
  'core/replay/schemas.ts': () => import('../../../functions/core/replay/schemas.ts'),
  'core/ports/triggers.ts': () => import('../../../functions/core/ports/triggers.ts'),
  'core/run-start-claims.ts': () => import('../../../functions/core/run-start-claims.ts'),
  'core/capability.ts': () => import('../../../functions/core/capability.ts'),
  'core/agents/handoff.ts': () => import('../../../functions/core/agents/handoff.ts'),
  'core/metrics/window.ts': () => import('../../../functions/core/metrics/window.ts'),
  'core/limits/token-bucket.ts': () => import('../../../functions/core/limits/token-bucket.ts'),
  'core/limits/circuit-breaker-rules.ts': () =>
    import('../../../functions/core/limits/circuit-breaker-rules.ts'),
  'approvals/email/link-token.ts': () => import('../../../functions/approvals/email/link-token.ts'),
  'approvals/slack/protocol.ts': () => import('../../../functions/approvals/slack/protocol.ts'),
  'connectors/http-request.ts': () => import('../../../functions/connectors/http-request.ts'),
  'connectors/email-send.ts': () => import('../../../functions/connectors/email-send.ts'),
  'connectors/slack-post.ts': () => import('../../../functions/connectors/slack-post.ts'),
  'connectors/state-upsert.ts': () => import('../../../functions/connectors/state-upsert.ts'),
  'connectors/state-revert.ts': () => import('../../../functions/connectors/state-revert.ts'),
};

const OBJECT_BUILDERS = ['object', 'strictObject', 'looseObject'] as const;

afterEach(() => {
  vi.doUnmock('zod');
  // Other files of this process import these modules again, with the real zod.
  vi.resetModules();
});

describe('schemas built on first use', () => {
  it.each(Object.keys(MODULES))('importing %s builds no object schema', async (name) => {
    const built: string[] = [];
    vi.resetModules();
    vi.doMock('zod', async (importOriginal) => {
      const z = await importOriginal<typeof import('zod')>();
      const counted = Object.fromEntries(
        OBJECT_BUILDERS.map((builder) => [
          builder,
          (...args: unknown[]) => {
            built.push(`z.${builder}({ ${Object.keys((args[0] as object) ?? {}).join(', ')} })`);
            return (z[builder] as (...a: unknown[]) => unknown)(...args);
          },
        ]),
      );
      return { ...z, ...counted };
    });
    await MODULES[name]?.();
    expect(built).toEqual([]);
  });

  it('still builds them when they are used', async () => {
    const built: string[] = [];
    vi.resetModules();
    vi.doMock('zod', async (importOriginal) => {
      const z = await importOriginal<typeof import('zod')>();
      return {
        ...z,
        object: (...args: Parameters<typeof z.object>) => {
          built.push('object');
          return z.object(...args);
        },
      };
    });
    const { ActionSchema } = await import('../../../functions/core/schemas.ts');
    expect(ActionSchema.parse({ type: 'http.request', params: {} })).toEqual({
      type: 'http.request',
      params: {},
    });
    expect(built).toEqual(['object']);
  });
});
