import { afterEach, beforeEach, vi } from 'vitest';

/** One EMF document as Powertools metrics prints it. */
export type EmfDocument = Record<string, unknown> & {
  _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
};

/**
 * Switches Powertools metrics on for the file's tests (vitest.config turns them off) and captures
 * what they print; modules are reset around each test so the metrics singleton reads the new
 * environment. Returns the EMF documents printed so far in the current test.
 */
export function captureEmf(): () => EmfDocument[] {
  let printed: string[] = [];
  beforeEach(() => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_DEV', 'false');
    vi.resetModules();
    printed = [];
    const capture = (chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture as never);
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void capture(args.join(' ')));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    vi.resetModules();
  });
  return () =>
    printed
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as EmfDocument);
}
