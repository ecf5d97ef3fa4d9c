import { InvalidArgumentError } from 'commander';

// Option parsers: a value they refuse is a usage error, which exits 2 with commander's message.

export const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

export const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};

export const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535)
    throw new InvalidArgumentError('must be a port number from 1 to 65535');
  return n;
};

/** A repeatable option: every value, in order. */
export const collect = (value: string, previous: string[]) => [...previous, value];
