import { AiosError } from '../../core/errors.ts';

/** The address is not on the approval's email list; a link for it could never decide. */
export class NotAnApproverError extends AiosError {}
