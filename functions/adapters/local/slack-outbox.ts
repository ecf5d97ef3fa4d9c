import { createHash } from 'node:crypto';
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentConnectorError } from '../../core/errors.ts';
import type { SlackMessageRef, SlackTransport } from '../../core/ports/slack-transport.ts';
import type { Clock } from '../../core/ports.ts';
import { systemClock } from '../system-clock.ts';
import { findByKey, outboxFileName, perKeyQueue, writeFileAtomic } from './outbox-files.ts';

const EXTENSION = '.json';
const DELETED = '.deleted';
/** `<message>.json.updated.json` beside a message holds its latest content after chat.update. */
const UPDATED = '.updated.json';
/** Modals (views.open) land in this subdirectory, one file per trigger id. */
const VIEWS_DIR = 'views';

export interface SlackOutboxOptions {
  /** Where the message files go, e.g. `<dataDir>/outbox/slack`. */
  dir: string;
  clock?: Clock;
}

/** What one outbox file holds: the payload as it would have gone to chat.postMessage. */
export interface SlackOutboxRecord {
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  idempotencyKey: string;
  postedAt: string;
  /** Set when the message was posted as a thread reply. */
  threadTs?: string;
}

/** What an `.updated.json` file holds: the message's content after its latest update. */
export interface SlackOutboxUpdateRecord {
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  updatedAt: string;
}

/** Slack-shaped (`seconds.micros`), from the clock's second and the key, so a key always maps to one ts. */
function tsFor(now: Date, key: string): string {
  const micros = Number.parseInt(createHash('sha256').update(key).digest('hex').slice(0, 8), 16) % 1_000_000;
  return `${Math.floor(now.getTime() / 1000)}.${String(micros).padStart(6, '0')}`;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * The local Slack transport: each post becomes `<timestamp>-<key>.json` in the outbox, and a
 * delete leaves a `.deleted` marker beside it, an update a `.updated.json` with the latest content,
 * and a modal a file under `views/`. It dedupes by idempotency key: a second post with a key
 * returns the first one's channel and ts without writing again.
 */
export function createSlackOutbox(
  options: SlackOutboxOptions,
): Required<SlackTransport> & { readonly dir: string } {
  const clock = options.clock ?? systemClock;
  const serialised = perKeyQueue();

  async function findByRef(ref: SlackMessageRef): Promise<string | undefined> {
    let names: string[];
    try {
      names = await readdir(options.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    for (const name of names.filter(
      (n) => n.endsWith(EXTENSION) && !n.endsWith(UPDATED) && !n.startsWith('.'),
    )) {
      const path = join(options.dir, name);
      const record = JSON.parse(await readFile(path, 'utf8')) as SlackOutboxRecord;
      if (record.ts === ref.ts && record.channel === ref.channel) return path;
    }
    return undefined;
  }

  return {
    dir: options.dir,
    dedupes: true,
    postMessage(message, callOptions) {
      return serialised(message.idempotencyKey, async () => {
        const existing = await findByKey(options.dir, message.idempotencyKey, EXTENSION);
        if (existing) {
          const record = JSON.parse(await readFile(existing, 'utf8')) as SlackOutboxRecord;
          return { channel: record.channel, ts: record.ts };
        }
        const now = clock.now();
        const record: SlackOutboxRecord = {
          channel: message.channel,
          ts: tsFor(now, message.idempotencyKey),
          text: message.text,
          ...(message.blocks ? { blocks: [...message.blocks] } : {}),
          idempotencyKey: message.idempotencyKey,
          postedAt: now.toISOString(),
          ...(message.threadTs ? { threadTs: message.threadTs } : {}),
        };
        await writeFileAtomic(
          join(options.dir, outboxFileName(now, message.idempotencyKey, EXTENSION)),
          `${JSON.stringify(record, null, 2)}\n`,
          callOptions?.signal,
        );
        return { channel: record.channel, ts: record.ts };
      });
    },
    async deleteMessage(ref, callOptions) {
      const path = await findByRef(ref);
      // Slack answers message_not_found for a message that is gone; the Web API transport
      // counts that as deleted, and so does this one.
      if (!path || (await exists(`${path}${DELETED}`))) return { alreadyDeleted: true };
      await writeFileAtomic(
        `${path}${DELETED}`,
        `${JSON.stringify({ channel: ref.channel, ts: ref.ts, deletedAt: clock.now().toISOString() })}\n`,
        callOptions?.signal,
      );
      return { alreadyDeleted: false };
    },
    async updateMessage(ref, update) {
      const path = await findByRef(ref);
      // As Slack's chat.update does for a message that is not there (or was deleted).
      if (!path || (await exists(`${path}${DELETED}`))) {
        throw new PermanentConnectorError('Slack chat.update failed: message_not_found');
      }
      const record: SlackOutboxUpdateRecord = {
        channel: ref.channel,
        ts: ref.ts,
        text: update.text,
        ...(update.blocks ? { blocks: [...update.blocks] } : {}),
        updatedAt: clock.now().toISOString(),
      };
      await writeFileAtomic(`${path}${UPDATED}`, `${JSON.stringify(record, null, 2)}\n`);
      return { channel: ref.channel, ts: ref.ts };
    },
    async openModal(triggerId, view) {
      const now = clock.now();
      await writeFileAtomic(
        join(options.dir, VIEWS_DIR, outboxFileName(now, triggerId, EXTENSION)),
        `${JSON.stringify({ triggerId, view, openedAt: now.toISOString() }, null, 2)}\n`,
      );
    },
  };
}
