import { AiosError } from '../../core/errors.ts';

/** The Slack transport given to the approval channel lacks a method it needs (chat.update, views.open). */
export class SlackTransportCapabilityError extends AiosError {}

/** The Slack signing secret could not be read, or what was read is not a signing secret. */
export class SlackSigningSecretError extends AiosError {}
