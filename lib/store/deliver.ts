// Storing new messages: the one path by which message rows come into being
// (inbound SMTP today; IMAP APPEND and the composer's Sent copies later).
//
// Storage layout: the raw bytes live once in MessageSource, keyed by their
// SHA-256, with the parsed bodies and the Attachment rows that depend only on
// the bytes. Each recipient account gets a Message row (its copy: folder,
// uid, flags, list fields, search vector) pointing at the source. External
// recipients get OutboundRecipient rows on the same source.
//
// Durability: everything one delivery writes (source, every copy, every
// outbound row, the counters, the NOTIFY) commits in one transaction, so a
// crash leaves either all of it or none. storeDelivery resolves only after
// COMMIT returned, which is when SMTP may say 250 (RFC 5321 §6.1).
//
// Throughput: concurrent small deliveries are group-committed: the ones that
// arrive while a transaction runs go into the next one together, which pays
// one round of statements' overhead and one WAL flush for many messages. A
// batch that fails is retried one delivery per transaction, so one bad
// delivery (an account that just went over quota) fails alone.
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { CommitFailedError, sql, withTransaction, type Sql, type SqlClient } from "../db/sql.ts";
import { UserError } from "../errors.ts";
import { MAX_CONCURRENT_LARGE_DELIVERIES, MAX_SEARCH_TEXT_CHARS } from "../config/limits.ts";
import { createSemaphore } from "../concurrency.ts";
import { loadConfig } from "../config/index.ts";
import { enqueueStatement } from "../queue/enqueue.ts";
import { hasReplyPrefix, normalizeSubject } from "../mime/normalize-subject.ts";
import type { ParsedMessage } from "../mime/parse-message.ts";
import { MAIL_CHANGES_CHANNEL } from "./changes.ts";
import { countMailVolumeStatement } from "./mail-volume.ts";
import { newUuidV7 } from "./ids.ts";

/**
 * A message's bytes as they will be stored: `prefix` (trace headers the
 * receiving path adds) followed by the body as received, from memory or from
 * a spool file the caller owns (the store only reads it).
 */
export type MessageBytes =
  | { kind: "memory"; prefix: Buffer; body: Buffer }
  | { kind: "file"; prefix: Buffer; path: string; bodySize: number };

export type NewSource = {
  bytes: MessageBytes;
  parsed: ParsedMessage;
  /** Accounts that get a copy in their Inbox; each at most once. */
  accountIds: string[];
  /** Copies filed, already read, in another special folder: the sender's Sent copy. */
  filedCopies?: { accountId: string; folder: FiledFolder }[];
  /** Copies into a given folder with given flags: IMAP APPEND (append-message.ts). */
  folderCopies?: { accountId: string; mailboxId: string; flags: MessageFlags }[];
  /** External recipients queued for the outbound relay. */
  outbound: { recipient: string; mailFrom: string }[];
};

export type FiledFolder = "SENT" | "DRAFTS";

/** The IMAP system flags (RFC 3501 §2.3.2) and keywords of a stored copy. */
export type MessageFlags = {
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  draft: boolean;
  deleted: boolean;
  keywords: string[];
};

export type Delivery = {
  /** Usually one; more when some recipients get different bytes (list copies carry List-* headers). */
  sources: NewSource[];
  receivedAt: Date;
  /** Refuse copies that would take an account past its quota (default true). */
  enforceQuota?: boolean;
  /** The account that sent the queued recipients (null: service mail such as forwards). */
  outboundAccountId?: string | null;
  /** Queued recipients wait until then (undo send, scheduled send). */
  outboundNotBefore?: Date;
};

export type StoredCopy = {
  accountId: string;
  mailboxId: string;
  messageId: string;
  uid: number;
  /** Null for a folderCopies copy. */
  folder: "INBOX" | FiledFolder | null;
};

export class OverQuotaError extends UserError {
  readonly accountId: string;
  constructor(accountId: string) {
    super("over_quota", "The mailbox is full.");
    this.name = "OverQuotaError";
    this.accountId = accountId;
  }
}

/** Deliveries in one group-commit transaction at most. */
const MAX_BATCH = 64;
/** Group-commit transactions in flight at once. */
const MAX_CONCURRENT_BATCHES = 2;
/** Spool files are copied into the database in pieces of this size. */
const FILE_CHUNK_BYTES = 256 * 1024;
// Spool-file transactions hold a pooled connection for as long as the copy
// takes: a burst of large messages waits here instead of starving the pool.
const largeTransactions = createSemaphore(MAX_CONCURRENT_LARGE_DELIVERIES);
// Subject threading only joins recent conversations: "Re: hello" a year
// later is a new conversation (Gmail and Thunderbird draw the line similarly).
const SUBJECT_THREAD_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
// B-tree entries must fit a third of a page (about 2.7 kB): header values that
// end up in indexes are cut well below that, RFC 5322 §2.1.1's 998-character
// line limit.
const MAX_INDEXED_CHARS = 998;
/** References kept per message; thread lookups use the most recent ones. */
const MAX_REFERENCES = 50;

type Prepared = {
  source: NewSource;
  sha256: string | null;
  size: number;
};

/**
 * Stores one delivery: its sources, a copy per account, its outbound rows.
 * Resolves after COMMIT. Throws OverQuotaError when enforceQuota is on and a
 * copy does not fit (nothing is stored then); any other error means nothing
 * was stored either and the caller may retry.
 */
export async function storeDelivery(delivery: Delivery): Promise<StoredCopy[]> {
  const prepared = delivery.sources.map(prepareSource);
  // Spool-file deliveries stream their bytes in and take a transaction each;
  // batching them would hold small messages behind a 25 MiB copy.
  if (prepared.some((p) => p.sha256 === null)) {
    return largeTransactions.run(() =>
      withTransaction(async (tx) => (await writeDeliveries(tx, [{ delivery, prepared }]))[0]!),
    );
  }
  return batcher.submit(delivery, prepared);
}

function prepareSource(source: NewSource): Prepared {
  const bytes = source.bytes;
  if (bytes.kind === "file") {
    return { source, sha256: null, size: bytes.prefix.length + bytes.bodySize };
  }
  const hash = createHash("sha256").update(bytes.prefix).update(bytes.body).digest("hex");
  return { source, sha256: hash, size: bytes.prefix.length + bytes.body.length };
}

type Job = {
  delivery: Delivery;
  prepared: Prepared[];
  resolve: (copies: StoredCopy[]) => void;
  reject: (error: unknown) => void;
};

class GroupCommitter {
  private queue: Job[] = [];
  private running = 0;

  submit(delivery: Delivery, prepared: Prepared[]): Promise<StoredCopy[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ delivery, prepared, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < MAX_CONCURRENT_BATCHES && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(batch: Job[]): Promise<void> {
    try {
      const results = await withTransaction((tx) => writeDeliveries(tx, batch));
      batch.forEach((job, i) => job.resolve(results[i]!));
    } catch (error) {
      // A failed COMMIT may have committed after all: trying the deliveries
      // again could store them twice, so they fail (the sender retries).
      if (batch.length === 1 || error instanceof CommitFailedError) {
        for (const job of batch) job.reject(error);
        return;
      }
      // One delivery may have spoiled the batch: each gets its own try.
      await Promise.all(batch.map((job) => this.run([job])));
    }
  }
}

const batcher = new GroupCommitter();

/**
 * Writes deliveries in the caller's transaction, in phases: every source
 * first (no row locks beyond their own keys), then every copy, then the
 * outbound rows. Copies take the Account and Mailbox row locks, held to
 * COMMIT; doing the source work first keeps it out of that window, so a
 * second batch can insert its sources while the first one holds the folder.
 * Locks are taken in a fixed order (sources by hash, accounts by id) so
 * concurrent transactions touching the same accounts cannot deadlock.
 */
async function writeDeliveries(
  tx: SqlClient,
  jobs: { delivery: Delivery; prepared: Prepared[] }[],
): Promise<StoredCopy[][]> {
  const sources: InsertedSource[][] = jobs.map(() => []);
  const sourceOrder = jobs
    .flatMap((job, j) => job.prepared.map((p, i) => ({ j, i, p })))
    .sort((a, b) => (a.p.sha256 ?? "").localeCompare(b.p.sha256 ?? ""));
  for (const { j, i, p } of sourceOrder) sources[j]![i] = await insertSource(tx, p);

  const work = jobs.flatMap((job, j) =>
    job.prepared.flatMap((p, i) => [
      ...p.source.accountIds.map((accountId) => ({
        j,
        accountId,
        folder: "INBOX" as const,
        p,
        source: sources[j]![i]!,
      })),
      ...(p.source.filedCopies ?? []).map((c) => ({
        j,
        accountId: c.accountId,
        folder: c.folder,
        p,
        source: sources[j]![i]!,
      })),
      ...(p.source.folderCopies ?? []).map((c) => ({
        j,
        accountId: c.accountId,
        folder: null,
        target: c,
        p,
        source: sources[j]![i]!,
      })),
    ]),
  );
  work.sort((a, b) => a.accountId.localeCompare(b.accountId));
  const copies: StoredCopy[][] = jobs.map(() => []);
  for (const w of work) {
    copies[w.j]!.push(
      await insertCopy(
        tx,
        w.accountId,
        w.folder,
        w.source,
        w.p,
        jobs[w.j]!.delivery,
        "target" in w ? w.target : undefined,
      ),
    );
  }

  for (const [j, { delivery, prepared }] of jobs.entries()) {
    for (const [i, p] of prepared.entries()) {
      if (p.source.outbound.length === 0) continue;
      await tx.query(
        enqueueStatement({
          accountId: delivery.outboundAccountId ?? null,
          sourceSha256: sources[j]![i]!.sha256,
          recipients: p.source.outbound,
          notBefore: delivery.outboundNotBefore ?? delivery.receivedAt,
          lifetimeSeconds: loadConfig().relay.lifetimeSeconds,
        }).toQuery(),
      );
    }
  }
  // The admin overview's hourly counts (lib/store/mail-volume.ts), last.
  const volume = countMailVolumeStatement(
    jobs.map(({ delivery, prepared }) => ({
      at: delivery.receivedAt,
      received: prepared.reduce((n, p) => n + p.source.accountIds.length, 0),
      sent: prepared.reduce(
        (n, p) => n + (p.source.filedCopies ?? []).filter((c) => c.folder === "SENT").length,
        0,
      ),
    })),
  );
  if (volume) await tx.query(volume.toQuery("store-mail-volume"));
  return copies;
}

type InsertedSource = {
  sha256: string;
  /** The search vector of the parsed message (text form), the same for every copy. */
  vector: string;
};

/**
 * Inserts the source unless the same bytes are stored already, and computes
 * the search vector its copies carry: subject (A), addresses (B), attachment
 * names (C), body text cut to MAX_SEARCH_TEXT_CHARS (D), with the language-
 * neutral 'simple' configuration (mail comes in every language).
 */
async function insertSource(tx: SqlClient, p: Prepared): Promise<InsertedSource> {
  const { parsed } = p.source;
  const search = searchFields(parsed);
  const text = clean(parsed.text);
  const html = parsed.html === null ? null : clean(parsed.html);
  const attachments = parsed.attachments;
  const names = attachments.map((a) => (a.filename === null ? null : clean(a.filename)));
  const types = attachments.map((a) => clean(a.contentType));
  const sizes = attachments.map((a) => a.size);
  const cids = attachments.map((a) => (a.contentId === null ? null : clean(a.contentId)));
  const inline = attachments.map((a) => a.inline);
  const indexes = attachments.map((_, i) => i);

  let sha256: string;
  let raw: Sql;
  let largeObject: number | null = null;
  const bytes = p.source.bytes;
  if (bytes.kind === "memory") {
    sha256 = p.sha256!;
    raw = sql`${bytes.prefix}::bytea || ${bytes.body}::bytea`;
  } else {
    // A large message goes through a Postgres large object, piece by piece,
    // so the gateway never holds it whole; lo_get then makes the bytea in the
    // server. The large object is transactional and unlinked below.
    ({ sha256, largeObject } = await copyFileToLargeObject(tx, bytes));
    raw = sql`lo_get(${largeObject}::oid)`;
  }

  // The Attachment insert runs although nothing reads it: data-modifying
  // WITH parts always run to completion.
  const statement = sql`
    WITH src AS (
      INSERT INTO "MessageSource" ("sha256", "raw", "size", "textBody", "htmlBody")
      VALUES (${sha256}, ${raw}, ${p.size}::int, ${text}, ${html})
      ON CONFLICT ("sha256") DO NOTHING
      RETURNING "sha256"
    ), attachments AS (
      INSERT INTO "Attachment" ("sourceSha256", "index", "filename", "contentType", "size", "contentId", "inline")
      SELECT src."sha256", a.i, a.filename, a.ctype, a.size, a.cid, a.inline
      FROM src, unnest(${indexes}::int[], ${names}::text[], ${types}::text[], ${sizes}::int[], ${cids}::text[], ${inline}::boolean[])
        AS a(i, filename, ctype, size, cid, inline)
    )
    SELECT (setweight(to_tsvector('simple', ${search.subject}), 'A')
      || setweight(to_tsvector('simple', ${search.addresses}), 'B')
      || setweight(to_tsvector('simple', ${search.attachmentNames}), 'C')
      || setweight(to_tsvector('simple', ${search.body}), 'D'))::text AS "vector"`;
  const result = await tx.query<{ vector: string }>(
    statement.toQuery(largeObject === null ? "store-source" : "store-source-lo"),
  );
  if (largeObject !== null) await tx.query(sql`SELECT lo_unlink(${largeObject}::oid)`.toQuery());
  return { sha256, vector: result.rows[0]!.vector };
}

function searchFields(m: ParsedMessage) {
  return {
    subject: clean(m.subject),
    addresses: clean(
      [m.from, ...m.to, ...m.cc]
        .filter((a) => a !== null)
        .map((a) => `${a.name} ${a.address}`)
        .join(" "),
    ),
    attachmentNames: clean(
      m.attachments
        .map((a) => a.filename ?? "")
        .filter(Boolean)
        .join(" "),
    ),
    body: clean(m.text.slice(0, MAX_SEARCH_TEXT_CHARS)),
  };
}

async function copyFileToLargeObject(
  tx: SqlClient,
  bytes: Extract<MessageBytes, { kind: "file" }>,
): Promise<{ sha256: string; largeObject: number }> {
  const hash = createHash("sha256").update(bytes.prefix);
  const created = await tx.query<{ oid: string }>(
    sql`SELECT lo_from_bytea(0, ${bytes.prefix}::bytea)::int8 AS oid`.toQuery(),
  );
  const largeObject = Number(created.rows[0]!.oid);
  let offset = bytes.prefix.length;
  const file = await open(bytes.path, "r");
  try {
    const buffer = Buffer.allocUnsafe(FILE_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      await tx.query(
        sql`SELECT lo_put(${largeObject}::oid, ${offset}::int8, ${chunk}::bytea)`.toQuery(
          "store-lo-put",
        ),
      );
      offset += bytesRead;
    }
  } finally {
    await file.close();
  }
  if (offset !== bytes.prefix.length + bytes.bodySize) {
    throw new Error(`spool file ${bytes.path} changed size while it was stored`);
  }
  return { sha256: hash.digest("hex"), largeObject };
}

type CopyRow = { mailboxId: string; uid: number };

/**
 * One copy into the account's Inbox, in one statement: thread found or made,
 * quota checked and charged, uid and modseq allocated from the Mailbox row
 * (its row lock orders concurrent deliveries to one folder: RFC 3501 §2.3.1.1
 * wants uids strictly ascending), counters kept, message inserted, NOTIFY
 * queued (Postgres sends it at COMMIT).
 */
async function insertCopy(
  tx: SqlClient,
  accountId: string,
  folder: StoredCopy["folder"],
  source: InsertedSource,
  p: Prepared,
  delivery: Delivery,
  target?: { mailboxId: string; flags: MessageFlags },
): Promise<StoredCopy> {
  const sha256 = source.sha256;
  const m = p.source.parsed;
  const messageId = newUuidV7(delivery.receivedAt.getTime());
  const newThreadId = newUuidV7(delivery.receivedAt.getTime());
  const subject = clean(m.subject);
  const threadKey = clean(normalizeSubject(m.subject)).slice(0, MAX_INDEXED_CHARS);
  const references = m.references
    .slice(-MAX_REFERENCES)
    .map((r) => clean(r).slice(0, MAX_INDEXED_CHARS));
  const inReplyTo = m.inReplyTo === null ? null : clean(m.inReplyTo).slice(0, MAX_INDEXED_CHARS);
  const parentIds = inReplyTo ? [...references, inReplyTo] : references;
  // RFC 5256 §2.1-style fallback: only replies join by subject, and only an
  // earlier conversation of the last weeks.
  const bySubject = threadKey !== "" && (hasReplyPrefix(m.subject) || parentIds.length > 0);
  const subjectCutoff = new Date(delivery.receivedAt.getTime() - SUBJECT_THREAD_WINDOW_MS);
  const enforceQuota = delivery.enforceQuota ?? true;
  // The sender's own copies (Sent) are read already; deliveries are new mail.
  const flags: MessageFlags = target?.flags ?? {
    seen: folder !== "INBOX",
    flagged: false,
    answered: false,
    draft: false,
    deleted: false,
    keywords: [],
  };
  const seen = flags.seen;
  const from = m.from;
  const list = (addresses: ParsedMessage["to"]) =>
    JSON.stringify(addresses.map((a) => ({ name: clean(a.name), address: clean(a.address) })));

  const statement = sql`
    WITH found AS (
      SELECT COALESCE(
        (SELECT m."threadId" FROM "Message" m
          WHERE m."accountId" = ${accountId}::uuid AND m."messageIdHeader" = ANY(${parentIds}::text[])
          ORDER BY m."receivedAt" DESC LIMIT 1),
        (SELECT t."id" FROM "Thread" t
          WHERE ${bySubject} AND t."accountId" = ${accountId}::uuid AND t."normalizedSubject" = ${threadKey}
            AND t."lastMessageAt" >= ${subjectCutoff}
          ORDER BY t."lastMessageAt" DESC LIMIT 1),
        ${newThreadId}::uuid) AS id
    ), thread AS (
      INSERT INTO "Thread" ("accountId", "id", "normalizedSubject", "lastMessageAt")
      SELECT ${accountId}::uuid, found.id, ${threadKey}, ${delivery.receivedAt} FROM found
      ON CONFLICT ("accountId", "id") DO UPDATE
        SET "lastMessageAt" = GREATEST("Thread"."lastMessageAt", EXCLUDED."lastMessageAt")
      RETURNING "id"
    ), account AS (
      UPDATE "Account" SET "usedBytes" = "usedBytes" + ${p.size}::int8
      WHERE "id" = ${accountId}::uuid AND (NOT ${enforceQuota} OR "usedBytes" + ${p.size}::int8 <= "quotaBytes")
      RETURNING "id"
    ), mailbox AS (
      UPDATE "Mailbox" SET
        "uidNext" = "uidNext" + 1,
        "highestModseq" = "highestModseq" + 1,
        "messageCount" = "messageCount" + 1,
        "unreadCount" = "unreadCount" + ${seen ? 0 : 1}::int,
        "totalBytes" = "totalBytes" + ${p.size}::int8
      WHERE "accountId" = ${accountId}::uuid
        AND ("specialUse" = ${folder}::"SpecialUse" OR "id" = ${target?.mailboxId ?? null}::uuid)
        AND EXISTS (SELECT 1 FROM account)
      RETURNING "id", "uidNext" - 1 AS uid, "highestModseq" AS modseq
    ), inserted AS (
      INSERT INTO "Message" (
        "accountId", "id", "mailboxId", "uid", "modseq", "sourceSha256", "threadId", "seen",
        "flagged", "answered", "draft", "deleted", "keywords",
        "receivedAt", "sentAt", "size", "fromAddress", "fromName", "toList", "ccList",
        "subject", "messageIdHeader", "inReplyTo", "references", "snippet", "hasAttachments", "searchVector")
      SELECT ${accountId}::uuid, ${messageId}::uuid, mailbox.id, mailbox.uid, mailbox.modseq, ${sha256}, thread.id, ${seen},
        ${flags.flagged}, ${flags.answered}, ${flags.draft}, ${flags.deleted}, ${flags.keywords}::text[],
        ${delivery.receivedAt}, ${m.date}, ${p.size}::int, ${clean(from?.address ?? "")}, ${clean(from?.name ?? "")},
        ${list(m.to)}::jsonb, ${list(m.cc)}::jsonb, ${subject},
        ${m.messageId === null ? null : clean(m.messageId).slice(0, MAX_INDEXED_CHARS)}, ${inReplyTo},
        ${references}::text[], ${clean(m.snippet)}, ${m.attachments.some((a) => !a.inline)},
        ${source.vector}::tsvector
      FROM mailbox, thread
      RETURNING "mailboxId", "uid"
    )
    SELECT inserted."mailboxId"::text AS "mailboxId", inserted."uid",
      pg_notify(${MAIL_CHANGES_CHANNEL}, json_build_object(
        'accountId', ${accountId}::text, 'mailboxId', inserted."mailboxId", 'kind', 'new',
        'messageId', ${messageId}::text, 'uid', inserted."uid")::text)::text AS notified
    FROM inserted`;
  const { rows } = await tx.query<CopyRow>(statement.toQuery("store-copy"));
  const row = rows[0];
  if (!row) {
    // Nothing inserted: the quota check refused (or the account has no Inbox,
    // which createAccount never allows). The transaction rolls back whole.
    throw new OverQuotaError(accountId);
  }
  return { accountId, mailboxId: row.mailboxId, messageId, uid: Number(row.uid), folder };
}

/** Postgres text and jsonb cannot hold NUL characters; mail sometimes does. */
function clean(value: string): string {
  return value.includes("\u0000") ? value.replaceAll("\u0000", "") : value;
}
