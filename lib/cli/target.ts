import type { AwsTarget } from './aws-client.ts';

// Which aios a command talks to. Kept apart from aws-client.ts (types only from there), so
// choosing the local target loads no AWS SDK.

export const TARGETS = ['local', 'aws'] as const;

/** The program-wide options, as commander parsed them (`--target` also from AIOS_TARGET). */
export interface GlobalOptions {
  target: (typeof TARGETS)[number];
  stack: string;
  profile?: string;
  region?: string;
}

export type Target = { kind: 'local' } | ({ kind: 'aws' } & AwsTarget);

export function targetOf(options: GlobalOptions): Target {
  if (options.target !== 'aws') return { kind: 'local' };
  return {
    kind: 'aws',
    stack: options.stack,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.region ? { region: options.region } : {}),
  };
}
