import { AiosError } from '../core/errors.ts';

/** A request body larger than the API takes; the client gets a 413 naming the limit. */
export class PayloadTooLargeError extends AiosError {}
