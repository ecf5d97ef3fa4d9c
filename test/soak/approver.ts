import { signSlackRequest } from '../../functions/approvals/slack/signature.ts';
import type { Approval } from '../../functions/core/approvals/approval.ts';
import type { AiosProcess } from './aios-process.ts';
import { NoAnswerError, type Reply, type SoakClient } from './client.ts';

const add = (list: string[], id: string) => {
  if (!list.includes(id)) list.push(id);
};

/** The operator's Slack user id in playbooks/operator-policy.json. */
const SLACK_APPROVER = 'U0AIOSOPS';
const POLL_GAP_MS = 40;
const RETRY_AFTER_MS = 250;
/** The link is printed once the notification is sent; an operator on the link channel waits that long at most. */
const LINK_WAIT_MS = 3000;

export type Channel = 'api' | 'link' | 'slack';

export interface ApproverStats {
  /** Decisions sent per channel (a double click sends two). */
  sent: Record<Channel, number>;
  /** Decisions the server accepted. */
  accepted: number;
  /** Two channels at once for one approval, as an operator who clicks Slack and the email link. */
  doubleClicks: number;
  /** Refused as already decided (expected for the second click of a double click). */
  refused: number;
  /** Approvals refused while their record stayed PENDING: a conflict reported as a decision. */
  refusedWhilePending: string[];
  /** Approvals the inbox still lists as pending though their record is decided (or gone). */
  staleInInbox: string[];
  /** 5xx answers to a decision, with their text. */
  serverErrors: string[];
  /** Decisions that got no answer (the runtime died under them). */
  unanswered: number;
  /** Approvals seen waiting in the inbox. */
  seen: number;
}

interface Attempt {
  inFlight: boolean;
  lastAt: number;
  firstSeenAt: number;
  /** Chosen when first seen: an operator picks a channel, then clicks. */
  channel: Channel;
  refusedAt?: number;
  clicks: number;
  /** Nothing more to do: a stale inbox entry, or clicked too often. */
  givenUp?: boolean;
}

/** An operator who keeps clicking a request that will not take stops at some point. */
const MAX_CLICKS = 20;

/**
 * Approves every waiting approval of the soak's runs as fast as it can: it polls the inbox
 * tightly and decides through the API, the magic link or a signed Slack click, sometimes two at
 * once. A refused approval still in the inbox is checked against its record: still PENDING (a
 * conflict reported as a decision) it is clicked again; decided, the inbox entry is stale.
 */
export function createApprover(deps: {
  client: SoakClient;
  aios: AiosProcess;
  isOurs: (runId: string) => boolean;
  /** How long an approval waits in the inbox before the first click. */
  delayMs?: number;
  random?: () => number;
}) {
  const random = deps.random ?? Math.random;
  const attempts = new Map<string, Attempt>();
  const seen = new Set<string>();
  // A magic link is single use, even when the runtime died before it decided anything.
  const linksUsed = new Set<string>();
  const stats: ApproverStats = {
    sent: { api: 0, link: 0, slack: 0 },
    accepted: 0,
    doubleClicks: 0,
    refused: 0,
    refusedWhilePending: [],
    staleInInbox: [],
    serverErrors: [],
    unanswered: 0,
    seen: 0,
  };
  let stopped = false;

  const linkUsable = (approvalId: string) => deps.aios.links.has(approvalId) && !linksUsed.has(approvalId);

  function pickChannel(): Channel {
    const draw = random();
    return draw < 0.6 ? 'api' : draw < 0.8 ? 'link' : 'slack';
  }

  /** The channel to click now: the link once `aios dev` has printed it (or never, if it takes too long). */
  function channelNow(attempt: Attempt, approvalId: string, now: number): Channel | undefined {
    if (attempt.channel !== 'link' || linkUsable(approvalId)) return attempt.channel;
    if (linksUsed.has(approvalId) || now - attempt.firstSeenAt > (deps.delayMs ?? 0) + LINK_WAIT_MS)
      return 'api';
    return undefined;
  }

  const otherThan = (channel: Channel, approvalId: string): Channel =>
    channel === 'api' ? (linkUsable(approvalId) ? 'link' : 'slack') : 'api';

  async function send(approval: Approval, channel: Channel): Promise<Reply> {
    stats.sent[channel] += 1;
    const path = `/approvals/${encodeURIComponent(approval.approvalId)}`;
    if (channel === 'api') {
      return deps.client.once('POST', `${path}/decision`, {
        body: { decision: 'approve', note: 'soak' },
        timeoutMs: 30_000,
      });
    }
    if (channel === 'link') {
      linksUsed.add(approval.approvalId);
      const link = new URL(deps.aios.links.get(approval.approvalId) as string);
      const form = new URLSearchParams({ token: link.searchParams.get('token') ?? '', decision: 'approve' });
      return deps.client.once('POST', `${path}/link`, { form: form.toString(), anonymous: true });
    }
    const payload = {
      type: 'block_actions',
      user: { id: SLACK_APPROVER },
      ...(approval.slackMessage
        ? { channel: { id: approval.slackMessage.channel }, message: { ts: approval.slackMessage.ts } }
        : {}),
      actions: [{ action_id: 'aios_approve', value: approval.approvalId }],
    };
    const form = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    return deps.client.once('POST', '/slack/interactions', {
      form,
      anonymous: true,
      headers: {
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signSlackRequest(deps.aios.signingSecret(), timestamp, form),
      },
    });
  }

  async function decide(approval: Approval, attempt: Attempt, channel: Channel) {
    try {
      const reply = await send(approval, channel);
      const ephemeral = channel === 'slack' && /response_type/.test(reply.text);
      if (reply.status === 200 && !ephemeral) stats.accepted += 1;
      else if (reply.status >= 500)
        stats.serverErrors.push(`${channel} ${reply.status}: ${reply.text.slice(0, 200)}`);
      else {
        stats.refused += 1;
        attempt.refusedAt = Date.now();
      }
    } catch (error) {
      if (!(error instanceof NoAnswerError)) throw error;
      stats.unanswered += 1;
    }
  }

  function consider(approval: Approval, listedAt: number) {
    if (approval.status !== 'PENDING' || !deps.isOurs(approval.runId)) return;
    // An inbox entry, not an approval: a crash can leave an old entry beside the approval's own.
    const entry = `${approval.approvalId}@${approval.createdAt}`;
    let attempt = attempts.get(entry);
    if (!attempt) {
      attempt = { inFlight: false, lastAt: 0, firstSeenAt: listedAt, channel: pickChannel(), clicks: 0 };
      attempts.set(entry, attempt);
      seen.add(approval.approvalId);
      stats.seen = seen.size;
    }
    if (attempt.givenUp || attempt.inFlight || listedAt - attempt.lastAt < RETRY_AFTER_MS) return;
    if (listedAt - attempt.firstSeenAt < (deps.delayMs ?? 0)) return;
    const first = channelNow(attempt, approval.approvalId, listedAt);
    if (!first) return;
    attempt.inFlight = true;
    attempt.lastAt = listedAt;
    const current = attempt;
    void click(approval, current, first, listedAt).finally(() => {
      current.inFlight = false;
    });
  }

  async function click(approval: Approval, attempt: Attempt, first: Channel, listedAt: number) {
    // Listed after a refusal: the record says whether the refusal was a decision.
    if (attempt.refusedAt !== undefined && attempt.refusedAt < listedAt) {
      attempt.refusedAt = undefined;
      const record = await recordOf(approval.approvalId);
      if (record === undefined) return; // no answer: look again on the next listing
      // No record (yet): keep clicking, up to MAX_CLICKS; the end of the soak judges the entry.
      if (record !== 'gone') {
        if (record.status !== 'PENDING') {
          add(stats.staleInInbox, approval.approvalId);
          attempt.givenUp = true;
          return;
        }
        add(stats.refusedWhilePending, approval.approvalId);
      }
    }
    attempt.clicks += 1;
    if (attempt.clicks > MAX_CLICKS) {
      attempt.givenUp = true;
      return;
    }
    const clicks = [decide(approval, attempt, first)];
    if (random() < 0.15) {
      stats.doubleClicks += 1;
      clicks.push(decide(approval, attempt, otherThan(first, approval.approvalId)));
    }
    await Promise.all(clicks);
  }

  /** The approval's own record (not the inbox's copy of it); 'gone' if there is none. */
  async function recordOf(approvalId: string): Promise<Approval | 'gone' | undefined> {
    try {
      const reply = await deps.client.once<{ approval: Approval }>(
        'GET',
        `/approvals/${encodeURIComponent(approvalId)}`,
        { timeoutMs: 15_000 },
      );
      if (reply.status === 404) return 'gone';
      return reply.status === 200 ? reply.body.approval : undefined;
    } catch (error) {
      if (!(error instanceof NoAnswerError)) throw error;
      return undefined;
    }
  }

  async function loop() {
    while (!stopped) {
      const listedAt = Date.now();
      try {
        const reply = await deps.client.once<{ approvals: Approval[] }>('GET', '/approvals', {
          timeoutMs: 15_000,
        });
        if (reply.status === 200) for (const approval of reply.body.approvals) consider(approval, listedAt);
        await new Promise((resolve) => setTimeout(resolve, POLL_GAP_MS));
      } catch (error) {
        if (!(error instanceof NoAnswerError)) throw error;
        await deps.aios.whenReady(5_000);
      }
    }
  }

  return {
    stats,
    /** Runs until `stop`; resolves when the last poll is over. */
    run: loop,
    stop() {
      stopped = true;
    },
  };
}
