import { afterEach, describe, expect, it, vi } from 'vitest';

const layout = () => import('../../../functions/console/pages/layout.tsx');

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe("the console's links on AWS carry the API stage", () => {
  it('puts AIOS_CONSOLE_LINK_PREFIX before every console path, and nothing locally', async () => {
    vi.resetModules();
    expect((await layout()).href('/runs')).toBe('/console/runs');
    vi.resetModules();
    vi.stubEnv('AIOS_CONSOLE_LINK_PREFIX', '/v1');
    expect((await layout()).href('/runs')).toBe('/v1/console/runs');
  });

  it('refuses a prefix that is not a path, at start-up', async () => {
    vi.resetModules();
    vi.stubEnv('AIOS_CONSOLE_LINK_PREFIX', 'https://evil.example');
    await expect(layout()).rejects.toThrow(/AIOS_CONSOLE_LINK_PREFIX/);
  });
});
