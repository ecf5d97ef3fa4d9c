/** One email as the `email.send` connector hands it to a transport. */
export interface EmailMessage {
  from: string;
  to: readonly string[];
  cc?: readonly string[];
  subject: string;
  text: string;
  html?: string;
  /** The intent's key; transports record it on the message so a sent email can be traced to its intent. */
  idempotencyKey: string;
}

/** The port `email.send` sends through: SES on AWS, a file outbox locally. */
export interface EmailTransport {
  /**
   * Whether sending the same idempotency key twice delivers one email. SES does not dedupe; the
   * local outbox does. The connector declares itself idempotent only when this is true.
   */
  readonly dedupes: boolean;
  /** `signal` aborts the send (the gateway's deadline): no message may start going out after it. */
  send(message: EmailMessage, options?: { signal?: AbortSignal }): Promise<{ messageId: string }>;
}
