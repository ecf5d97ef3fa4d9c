/** A Block Kit block: Slack validates the details, aios only that it names its type. */
export type SlackBlock = { type: string } & Record<string, unknown>;

export interface SlackMessage {
  /** A conversation id (C0123ABCD) or a #name. */
  channel: string;
  text: string;
  blocks?: readonly SlackBlock[];
  /** The intent's key, recorded with the message so a human can find which intent posted it. */
  idempotencyKey: string;
  /** Posts the message as a reply in the thread of this message (its ts). */
  threadTs?: string;
}

/** The new content of a posted message (chat.update). */
export interface SlackMessageUpdate {
  text: string;
  blocks?: readonly SlackBlock[];
}

/** A views.open payload: Slack validates the details, aios only that it is a modal. */
export type SlackModalView = { type: 'modal' } & Record<string, unknown>;

/** Where a message was posted: the conversation id and the message's timestamp, Slack's message id. */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

/** What a connector passes with a call: the deadline of its attempt. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** The port `slack.post` and `slack.delete` act through: Slack's Web API on AWS, a file outbox locally. */
export interface SlackTransport {
  /**
   * Whether posting the same idempotency key twice posts one message. Slack's chat.postMessage
   * takes no idempotency key, so the Web API transport does not; the local outbox does.
   */
  readonly dedupes: boolean;
  /** `options.signal` aborts the call (the gateway's deadline): nothing may start going out after it. */
  postMessage(message: SlackMessage, options?: CallOptions): Promise<SlackMessageRef>;
  /** Deletes a message; one that is already gone counts as deleted (`alreadyDeleted`). */
  deleteMessage(ref: SlackMessageRef, options?: CallOptions): Promise<{ alreadyDeleted: boolean }>;
  /** Replaces a posted message's text and blocks (approval messages show their decision this way). */
  updateMessage?(ref: SlackMessageRef, update: SlackMessageUpdate): Promise<SlackMessageRef>;
  /** Opens a modal for the user whose interaction gave the (short-lived, single-use) trigger id. */
  openModal?(triggerId: string, view: SlackModalView): Promise<void>;
}
