// Storing new messages: the one path by which message rows come into being
// (inbound SMTP today; IMAP APPEND and the composer's Sent copies later).
//
// Storage layout: the raw bytes live once in MessageSource, keyed by their
// SHA-256, with the parsed bodies and the Attachment rows that depend only on
// the bytes. Each recipient account gets a Message row (its copy: folder,
// uid, flags, list fields) pointing at the source, and an UnindexedMessage
// row: its search vector is filled after commit by the indexer
// (search-indexer.ts; search computes it on the fly until then). External
// recipients get OutboundRecipient rows on the same source.
//
// Durability: everything one delivery writes (source, every copy, every
// outbound row, the counters, the NOTIFY) commits in one transaction, so a
// crash leaves either all of it or none. storeDelivery resolves only after
// COMMIT returned, which is when SMTP may say 250 (RFC 5321 §6.1).
//
// Throughput: concurrent small deliveries are group-committed: the ones that
// arrive while a transaction runs go into the next one together, written
// with a fixed handful of multi-row statements and one WAL flush however
// many messages it holds. A batch that fails is retried one delivery per
// transaction, so one bad delivery (an account that just went over quota)
// fails alone.
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { CommitFailedError, Sql, sql, withTransaction, type SqlClient } from "../db/sql.ts";
import { UserError } from "../errors.ts";
import { MAX_CONCURRENT_LARGE_DELIVERIES } from "../config/limits.ts";
import { createSemaphore } from "../concurrency.ts";
import { loadConfig } from "../config/index.ts";
import { enqueueStatement } from "../queue/enqueue.ts";
import { hasReplyPrefix, normalizeSubject } from "../mime/normalize-subject.ts";
import type { ParsedMessage } from "../mime/parse-message.ts";
import { MAIL_CHANGES_CHANNEL } from "./changes.ts";
import { countMailVolumeStatement } from "./mail-volume.ts";
import { newUuidV7 } from "./ids.ts";
import { wakeSearchIndexers } from "./search-indexer.ts";
import { announceNewMail } from "../push/announce.ts";
import { toStorableText } from "../validation/storable-text.ts";

/**
 * A message's bytes as they will be stored: `prefix` (trace headers the
 * receiving path adds) followed by the body as received, from memory or from
 * a spool file the caller owns (the store only reads it). A file's first
 * `skip` bytes are left out (a header section the receiving path rewrote
 * and put in `prefix`); `bodySize` counts what is read after them.
 */
export type MessageBytes =
  | { kind: "memory"; prefix: Buffer; body: Buffer }
  | { kind: "file"; prefix: Buffer; path: string; skip?: number; bodySize: number };

export type NewSource = {
  bytes: MessageBytes;
  parsed: ParsedMessage;
  /** Accounts that get a copy in their Inbox; each at most once. */
  accountIds: string[];
  /**
   * Copies filed, already read, in another special folder: the sender's Sent
   * copy, a webmail draft (which also gets \Draft).
   */
  filedCopies?: { accountId: string; folder: FiledFolder }[];
  /** Copies into a given folder with given flags: IMAP APPEND (append-message.ts). */
  folderCopies?: { accountId: string; mailboxId: string; flags: MessageFlags }[];
  /** External recipients queued for the outbound relay. */
  outbound: { recipient: string; mailFrom: string }[];
  /**
   * Inbound mail from outside that claims a hosted sender without SPF or
   * DKIM for it (lib/delivery/authenticate-message.ts): the claimed
   * address, kept on each copy (Message.claimedLocalSender) for the reader.
   */
  claimedLocalSender?: string | null;
  /**
   * The MX's verdict on these copies (lib/spam/verdict.ts), kept on each
   * (Message.spamVerdict); with `junk`, the accountIds copies are filed in
   * Junk instead of the Inbox.
   */
  spamVerdict?: unknown;
  junk?: boolean;
  /** Role addresses no admin can take yet: the source is kept for them (one HeldMessage). */
  held?: HeldRecipients | null;
};

export type HeldRecipients = { recipients: string[]; mailFrom: string };

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
  /**
   * The HeldMessage this delivery delivers at last: deleted in the same
   * transaction, and the delivery fails with HeldMessageGoneError when
   * another one did so first (so a held message is delivered once).
   */
  releasesHeld?: string;
};

export type StoredCopy = {
  accountId: string;
  mailboxId: string;
  messageId: string;
  uid: number;
  /** Null for a folderCopies copy. */
  folder: "INBOX" | "JUNK" | FiledFolder | null;
};

/** The HeldMessage a delivery was to release is gone: someone else delivered it. */
export class HeldMessageGoneError extends Error {
  constructor(id: string) {
    super(`held message ${id} was already delivered`);
    this.name = "HeldMessageGoneError";
  }
}

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
    const copies = await largeTransactions.run(() =>
      withTransaction(async (tx) => (await writeDeliveries(tx, [{ delivery, prepared }]))[0]!),
    );
    afterCommit(copies);
    return copies;
  }
  return batcher.submit(delivery, prepared);
}

/**
 * What follows a commit, started and not awaited: the search indexer, and
 * Web Push to the recipients' browsers, asked once for a whole batch.
 */
function afterCommit(copies: StoredCopy[]): void {
  wakeSearchIndexers();
  announceNewMail(copies);
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
    let results: StoredCopy[][];
    try {
      results = await withTransaction((tx) => writeDeliveries(tx, batch));
    } catch (error) {
      // A failed COMMIT may have committed after all: trying the deliveries
      // again could store them twice, so they fail (the sender retries).
      if (batch.length === 1 || error instanceof CommitFailedError) {
        for (const job of batch) job.reject(error);
        return;
      }
      // One delivery may have spoiled the batch: each gets its own try.
      await Promise.all(batch.map((job) => this.run([job])));
      return;
    }
    // Committed: nothing after this point may send the batch to the retry above.
    batch.forEach((job, i) => job.resolve(results[i]!));
    afterCommit(results.flat());
  }
}

const batcher = new GroupCommitter();

/**
 * Writes deliveries in the caller's transaction with a fixed number of
 * statements however many deliveries the batch holds (each statement costs
 * a round trip and a turn of both event loops, which under load is most of
 * a message's time): every source in one INSERT, then a statement that locks
 * the recipient accounts and looks up existing threads, then every copy with
 * its counters in one statement, then the outbound rows and the hourly
 * volume counts. Account rows are locked in id order (before any folder
 * row, as every other writer does) and sources inserted in hash order, so
 * concurrent batches touching the same accounts or bytes cannot deadlock.
 */
async function writeDeliveries(
  tx: SqlClient,
  jobs: { delivery: Delivery; prepared: Prepared[] }[],
): Promise<StoredCopy[][]> {
  const sha256s: string[][] = jobs.map(() => []);
  const inMemory: SourceRow[] = [];
  for (const [j, { prepared }] of jobs.entries()) {
    for (const [i, p] of prepared.entries()) {
      const bytes = p.source.bytes;
      if (bytes.kind === "file") {
        sha256s[j]![i] = await insertLargeSource(tx, p, bytes);
      } else {
        sha256s[j]![i] = p.sha256!;
        const raw = sql`${bytes.prefix}::bytea || ${bytes.body}::bytea`;
        inMemory.push({ sha256: p.sha256!, raw, size: p.size, parsed: p.source.parsed });
      }
    }
  }
  if (inMemory.length > 0) await tx.query(insertSourcesStatement(inMemory).toQuery());

  const plans = planCopies(jobs, sha256s);
  await resolveThreads(tx, plans);
  const stored = plans.length > 0 ? await insertCopies(tx, plans) : new Map<string, CopyRow>();
  const copies: StoredCopy[][] = jobs.map(() => []);
  for (const plan of plans) {
    const row = stored.get(plan.messageId)!;
    copies[plan.job]!.push({
      accountId: plan.accountId,
      mailboxId: row.mailboxId,
      messageId: plan.messageId,
      uid: Number(row.uid),
      folder: plan.folder,
    });
  }

  for (const [j, { delivery, prepared }] of jobs.entries()) {
    for (const [i, p] of prepared.entries()) {
      if (p.source.outbound.length === 0) continue;
      await tx.query(
        enqueueStatement({
          accountId: delivery.outboundAccountId ?? null,
          sourceSha256: sha256s[j]![i]!,
          recipients: p.source.outbound,
          notBefore: delivery.outboundNotBefore ?? delivery.receivedAt,
          lifetimeSeconds: loadConfig().relay.lifetimeSeconds,
        }).toQuery(),
      );
    }
  }
  // Rare (postmaster mail before there is an admin): a statement per held source.
  for (const [j, { delivery, prepared }] of jobs.entries()) {
    for (const [i, p] of prepared.entries()) {
      const held = p.source.held;
      if (!held || held.recipients.length === 0) continue;
      await tx.query(
        sql`INSERT INTO "HeldMessage" ("id", "recipients", "mailFrom", "sourceSha256", "receivedAt")
          VALUES (${newUuidV7()}::uuid, ${held.recipients}::text[], ${held.mailFrom},
            ${sha256s[j]![i]!}, ${delivery.receivedAt}::timestamptz)`.toQuery(),
      );
    }
  }
  for (const { delivery } of jobs) {
    if (!delivery.releasesHeld) continue;
    const released = await tx.query(
      sql`DELETE FROM "HeldMessage" WHERE "id" = ${delivery.releasesHeld}::uuid`.toQuery(),
    );
    if (released.rowCount !== 1) throw new HeldMessageGoneError(delivery.releasesHeld);
  }
  // The admin overview's hourly counts (lib/store/mail-volume.ts), last.
  const volume = countMailVolumeStatement(
    jobs.map(({ delivery, prepared }) => ({
      at: delivery.receivedAt,
      received: prepared.reduce((n, p) => n + (p.source.junk ? 0 : p.source.accountIds.length), 0),
      junk: prepared.reduce((n, p) => n + (p.source.junk ? p.source.accountIds.length : 0), 0),
      sent: prepared.reduce(
        (n, p) => n + (p.source.filedCopies ?? []).filter((c) => c.folder === "SENT").length,
        0,
      ),
    })),
  );
  if (volume) await tx.query(volume.toQuery("store-mail-volume"));
  return copies;
}

type SourceRow = { sha256: string; raw: Sql; size: number; parsed: ParsedMessage };

/** `a, b, c` from fragments. */
function commaList(parts: Sql[]): Sql {
  return new Sql(["", ...parts.slice(1).map(() => ", "), ""], parts);
}

/**
 * Inserts sources unless the same bytes are stored already, with their
 * parsed bodies and attachment rows. The search vector is not computed here:
 * the indexer (search-indexer.ts) fills it after commit.
 */
function insertSourcesStatement(sources: SourceRow[]): Sql {
  const unique = [...new Map(sources.map((s) => [s.sha256, s])).values()].sort((a, b) =>
    a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0,
  );
  const rows = unique.map((s) => {
    const text = clean(s.parsed.text);
    const html = s.parsed.html === null ? null : clean(s.parsed.html);
    return sql`(${s.sha256}, ${s.raw}, ${s.size}::int, ${text}, ${html})`;
  });
  const attachments = unique.flatMap((s) =>
    s.parsed.attachments.map((a, index) => ({ sha256: s.sha256, index, a })),
  );
  // The Attachment insert runs although nothing reads it: data-modifying
  // WITH parts always run to completion.
  const attachmentInsert =
    attachments.length === 0
      ? sql``
      : sql`, attachments AS (
      INSERT INTO "Attachment" ("sourceSha256", "index", "filename", "contentType", "size", "contentId", "inline")
      SELECT a.sha256, a.i, a.filename, a.ctype, a.size, a.cid, a.inline
      FROM unnest(${attachments.map((x) => x.sha256)}::text[], ${attachments.map((x) => x.index)}::int[],
        ${attachments.map((x) => (x.a.filename === null ? null : clean(x.a.filename)))}::text[],
        ${attachments.map((x) => clean(x.a.contentType))}::text[], ${attachments.map((x) => x.a.size)}::int[],
        ${attachments.map((x) => (x.a.contentId === null ? null : clean(x.a.contentId)))}::text[],
        ${attachments.map((x) => x.a.inline)}::boolean[]) AS a(sha256, i, filename, ctype, size, cid, inline)
      WHERE a.sha256 IN (SELECT "sha256" FROM src)
    )`;
  return sql`
    WITH src AS (
      INSERT INTO "MessageSource" ("sha256", "raw", "size", "textBody", "htmlBody")
      VALUES ${commaList(rows)}
      ON CONFLICT ("sha256") DO NOTHING
      RETURNING "sha256"
    )${attachmentInsert}
    SELECT count(*)::int AS "inserted" FROM src`;
}

/**
 * A spool-file source: its bytes go through a Postgres large object, piece
 * by piece, so the gateway never holds the message whole; lo_get then makes
 * the bytea in the server. The large object is transactional and unlinked
 * once copied.
 */
async function insertLargeSource(
  tx: SqlClient,
  p: Prepared,
  bytes: Extract<MessageBytes, { kind: "file" }>,
): Promise<string> {
  const { sha256, largeObject } = await copyFileToLargeObject(tx, bytes);
  const row = {
    sha256,
    raw: sql`lo_get(${largeObject}::oid)`,
    size: p.size,
    parsed: p.source.parsed,
  };
  await tx.query(insertSourcesStatement([row]).toQuery());
  await tx.query(sql`SELECT lo_unlink(${largeObject}::oid)`.toQuery());
  return sha256;
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
    let position = bytes.skip ?? 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      position += bytesRead;
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

/** One copy to write: an account's folder gets a source. */
type CopyPlan = {
  /** Index of its delivery in the batch. */
  job: number;
  accountId: string;
  /** The special folder of an Inbox or filed copy; null for a folderCopies copy. */
  folder: StoredCopy["folder"];
  /** The folder of a folderCopies copy; null for the others. */
  mailboxId: string | null;
  flags: MessageFlags;
  sha256: string;
  size: number;
  delivery: Delivery;
  parsed: ParsedMessage;
  messageId: string;
  /** Set by resolveThreads. */
  threadId: string;
  /**
   * Set by resolveThreads: the normalized subject of the copy's thread, when
   * known (a new thread's, or one found by subject), for later copies of
   * the batch that join by subject.
   */
  threadSubject: string | null;
  threadKey: string;
  messageIdHeader: string | null;
  inReplyTo: string | null;
  references: string[];
  /** References and In-Reply-To: a copy joins the thread of any of these. */
  parentIds: string[];
  /** NewSource.claimedLocalSender. */
  claimedLocalSender: string | null;
  /** NewSource.spamVerdict, as JSON text. */
  spamVerdict: string | null;
  /** Whether the copy may join a recent thread by subject. */
  bySubject: boolean;
};

/** A filed copy's flags: read, nothing else set. */
const NO_FLAGS: MessageFlags = {
  seen: true,
  flagged: false,
  answered: false,
  draft: false,
  deleted: false,
  keywords: [],
};

/** A webmail draft's flags: read and \Draft (RFC 3501 §2.3.2), what IMAP clients file drafts with. */
const DRAFT_FLAGS: MessageFlags = { ...NO_FLAGS, draft: true };

function planCopies(
  jobs: { delivery: Delivery; prepared: Prepared[] }[],
  sha256s: string[][],
): CopyPlan[] {
  return jobs.flatMap(({ delivery, prepared }, job) =>
    prepared.flatMap((p, i) => {
      // Deliveries are new mail; the sender's own copies (Sent, Drafts) are
      // read already; APPEND gives its own flags.
      const unread = { ...NO_FLAGS, seen: false };
      const targets = [
        ...p.source.accountIds.map((accountId) => ({
          accountId,
          folder: p.source.junk ? ("JUNK" as const) : ("INBOX" as const),
          mailboxId: null,
          flags: unread,
        })),
        ...(p.source.filedCopies ?? []).map((c) => ({
          ...c,
          mailboxId: null,
          flags: c.folder === "DRAFTS" ? DRAFT_FLAGS : NO_FLAGS,
        })),
        ...(p.source.folderCopies ?? []).map((c) => ({ ...c, folder: null })),
      ];
      const m = p.source.parsed;
      const threadKey = clean(normalizeSubject(m.subject)).slice(0, MAX_INDEXED_CHARS);
      const references = m.references
        .slice(-MAX_REFERENCES)
        .map((r) => clean(r).slice(0, MAX_INDEXED_CHARS));
      const inReplyTo =
        m.inReplyTo === null ? null : clean(m.inReplyTo).slice(0, MAX_INDEXED_CHARS);
      const parentIds = inReplyTo ? [...references, inReplyTo] : references;
      return targets.map((target) => ({
        job,
        accountId: target.accountId,
        folder: target.folder,
        mailboxId: target.mailboxId,
        flags: target.flags,
        sha256: sha256s[job]![i]!,
        size: p.size,
        delivery,
        parsed: m,
        messageId: newUuidV7(delivery.receivedAt.getTime()),
        threadId: "",
        threadSubject: null,
        threadKey,
        messageIdHeader:
          m.messageId === null ? null : clean(m.messageId).slice(0, MAX_INDEXED_CHARS),
        inReplyTo,
        references,
        parentIds,
        claimedLocalSender: p.source.claimedLocalSender
          ? clean(p.source.claimedLocalSender).slice(0, MAX_INDEXED_CHARS)
          : null,
        spamVerdict:
          p.source.spamVerdict === undefined || p.source.spamVerdict === null
            ? null
            : JSON.stringify(p.source.spamVerdict),
        // RFC 5256 §2.1-style fallback: only replies join by subject, and
        // only an earlier conversation of the last weeks.
        bySubject: threadKey !== "" && (hasReplyPrefix(m.subject) || parentIds.length > 0),
      }));
    }),
  );
}

/** Threads found in the database for one copy, by each rule of resolveThreads. */
type ThreadLookup = { byParent: string | null; byReply: string | null; bySubject: string | null };

/**
 * Locks the recipient accounts (in id order: the quota charge and the
 * folder counters are updated under these locks) and picks each copy's
 * thread: the newest message it refers to, else the newest reply to it that
 * came first (mail arrives out of order: a reply can overtake its parent),
 * else a recent thread with its subject if it is a reply, else a new one.
 * Copies earlier in the same batch count as the newest messages, since the
 * database does not hold them yet.
 */
async function resolveThreads(tx: SqlClient, plans: CopyPlan[]): Promise<void> {
  const accountIds = [...new Set(plans.map((c) => c.accountId))].sort();
  const lookups = plans.filter(
    (c) => c.parentIds.length > 0 || c.bySubject || c.messageIdHeader !== null,
  );
  const found = new Map<CopyPlan, ThreadLookup>();
  if (lookups.length > 0 || accountIds.length > 1) {
    const rows = lookups.map(
      (c, n) =>
        sql`(${n}::int, ${c.accountId}::uuid, ${c.parentIds}::text[], ${c.messageIdHeader}::text,
          ${c.bySubject}::boolean, ${c.threadKey}::text,
          ${new Date(c.delivery.receivedAt.getTime() - SUBJECT_THREAD_WINDOW_MS)}::timestamptz)`,
    );
    const { rows: threads } = await tx.query<ThreadLookup & { n: number | null }>(
      sql`
        WITH locked AS (
          SELECT "id" FROM "Account" WHERE "id" = ANY(${accountIds}::uuid[]) ORDER BY "id" FOR UPDATE
        ), wanted AS (${
          lookups.length > 0
            ? sql`SELECT * FROM (VALUES ${commaList(rows)}) AS v(n, "accountId", parents, "messageIdHeader", "bySubject", key, cutoff)`
            : sql`SELECT NULL::int AS n, NULL::uuid AS "accountId", NULL::text[] AS parents,
                NULL::text AS "messageIdHeader", false AS "bySubject", NULL::text AS key,
                NULL::timestamptz AS cutoff WHERE false`
        })
        -- The outer join makes the locks taken even when no copy needs a lookup.
        SELECT c.n,
          (SELECT m."threadId" FROM "Message" m
            WHERE m."accountId" = c."accountId" AND m."messageIdHeader" = ANY(c.parents)
            ORDER BY m."receivedAt" DESC LIMIT 1)::text AS "byParent",
          (SELECT m."threadId" FROM "Message" m
            WHERE m."accountId" = c."accountId" AND m."inReplyTo" = c."messageIdHeader"
            ORDER BY m."receivedAt" DESC LIMIT 1)::text AS "byReply",
          (SELECT t."id" FROM "Thread" t
            WHERE c."bySubject" AND t."accountId" = c."accountId" AND t."normalizedSubject" = c.key
              AND t."lastMessageAt" >= c.cutoff
            ORDER BY t."lastMessageAt" DESC LIMIT 1)::text AS "bySubject"
        FROM (SELECT count(*) FROM locked) l LEFT JOIN wanted c ON true`.toQuery(),
    );
    for (const row of threads) if (row.n !== null) found.set(lookups[row.n]!, row);
  }
  for (const [k, c] of plans.entries()) {
    const earlier = plans
      .slice(0, k)
      .filter((e) => e.accountId === c.accountId)
      .reverse();
    const db = found.get(c);
    const parent = earlier.find(
      (e) => e.messageIdHeader !== null && c.parentIds.includes(e.messageIdHeader),
    );
    const reply =
      c.messageIdHeader === null
        ? undefined
        : earlier.find((e) => e.inReplyTo === c.messageIdHeader);
    const sameSubject = c.bySubject
      ? earlier.find((e) => e.threadSubject === c.threadKey)
      : undefined;
    if (parent) {
      [c.threadId, c.threadSubject] = [parent.threadId, parent.threadSubject];
    } else if (db?.byParent) {
      [c.threadId, c.threadSubject] = [db.byParent, null];
    } else if (reply) {
      [c.threadId, c.threadSubject] = [reply.threadId, reply.threadSubject];
    } else if (db?.byReply) {
      [c.threadId, c.threadSubject] = [db.byReply, null];
    } else if (sameSubject) {
      [c.threadId, c.threadSubject] = [sameSubject.threadId, sameSubject.threadSubject];
    } else if (db?.bySubject) {
      [c.threadId, c.threadSubject] = [db.bySubject, c.threadKey];
    } else {
      [c.threadId, c.threadSubject] = [newUuidV7(c.delivery.receivedAt.getTime()), c.threadKey];
    }
  }
}

type CopyRow = { id: string; accountId: string; mailboxId: string; uid: number };

/**
 * Every copy in one statement: threads made or touched, quota checked and
 * charged per account, uids and modseqs allocated from each folder's
 * Mailbox row (one UPDATE per folder, holding its row lock to COMMIT: RFC
 * 3501 §2.3.1.1 wants uids strictly ascending; each copy gets its own
 * modseq), counters kept, messages inserted and queued for the search
 * indexer, NOTIFY queued per copy (Postgres sends them at COMMIT). Throws
 * OverQuotaError when an account's copies do not fit (or a folder is gone);
 * the caller's transaction then rolls back whole.
 */
async function insertCopies(tx: SqlClient, plans: CopyPlan[]): Promise<Map<string, CopyRow>> {
  const list = (addresses: ParsedMessage["to"]) =>
    JSON.stringify(addresses.map((a) => ({ name: clean(a.name), address: clean(a.address) })));
  const rows = plans.map((c, n) => {
    const m = c.parsed;
    const f = c.flags;
    return sql`(${n}::int, ${c.accountId}::uuid, ${c.folder}::"SpecialUse", ${c.mailboxId}::uuid,
      ${c.messageId}::uuid, ${c.threadId}::uuid, ${c.threadKey}::text, ${c.sha256}::text, ${c.size}::int,
      ${f.seen}::boolean, ${f.flagged}::boolean, ${f.answered}::boolean, ${f.draft}::boolean,
      ${f.deleted}::boolean, ${f.keywords}::text[], ${c.delivery.enforceQuota ?? true}::boolean,
      ${c.delivery.receivedAt}::timestamptz, ${m.date}::timestamptz, ${clean(m.from?.address ?? "")}::text,
      ${clean(m.from?.name ?? "")}::text, ${list(m.to)}::jsonb, ${list(m.cc)}::jsonb, ${clean(m.subject)}::text,
      ${c.messageIdHeader}::text, ${c.inReplyTo}::text, ${c.references}::text[], ${clean(m.snippet)}::text,
      ${m.attachments.some((a) => !a.inline)}::boolean, ${c.claimedLocalSender}::text,
      ${c.spamVerdict}::jsonb)`;
  });
  // target: each copy's folder row, by special use or by id (an APPEND into
  // the Inbox and a delivery to it share one folder, so one UPDATE).
  const statement = sql`
    WITH c AS (
      SELECT * FROM (VALUES ${commaList(rows)}) AS v(n, "accountId", folder, "targetId", id, "threadId",
        "threadKey", "sha256", size, seen, flagged, answered, draft, deleted, keywords, "enforceQuota",
        "receivedAt", "sentAt", "fromAddress", "fromName", "toList", "ccList", subject, "messageIdHeader",
        "inReplyTo", "references", snippet, "hasAttachments", "claimedLocalSender", "spamVerdict")
    ), target AS (
      SELECT c.n, b."id" AS "mailboxId" FROM c JOIN "Mailbox" b ON b."accountId" = c."accountId"
        AND (b."specialUse" = c.folder OR b."id" = c."targetId")
    ), thread AS (
      INSERT INTO "Thread" ("accountId", "id", "normalizedSubject", "lastMessageAt")
      SELECT "accountId", "threadId", (array_agg("threadKey" ORDER BY n))[1], max("receivedAt")
      FROM c GROUP BY "accountId", "threadId"
      ON CONFLICT ("accountId", "id") DO UPDATE
        SET "lastMessageAt" = GREATEST("Thread"."lastMessageAt", EXCLUDED."lastMessageAt")
    ), charge AS (
      SELECT "accountId", sum(size)::int8 AS bytes, bool_or("enforceQuota") AS enforce
      FROM c GROUP BY "accountId"
    ), account AS (
      UPDATE "Account" a SET "usedBytes" = a."usedBytes" + charge.bytes
      FROM charge
      WHERE a."id" = charge."accountId" AND (NOT charge.enforce OR a."usedBytes" + charge.bytes <= a."quotaBytes")
      RETURNING a."id"
    ), added AS (
      SELECT c."accountId", t."mailboxId", count(*)::int AS copies,
        (count(*) FILTER (WHERE NOT c.seen))::int AS unread, sum(c.size)::int8 AS bytes
      FROM c JOIN target t ON t.n = c.n GROUP BY c."accountId", t."mailboxId"
    ), mailbox AS (
      UPDATE "Mailbox" b SET
        "uidNext" = b."uidNext" + added.copies,
        "highestModseq" = b."highestModseq" + added.copies,
        "messageCount" = b."messageCount" + added.copies,
        "unreadCount" = b."unreadCount" + added.unread,
        "totalBytes" = b."totalBytes" + added.bytes
      FROM added
      WHERE b."accountId" = added."accountId" AND b."id" = added."mailboxId"
        AND added."accountId" IN (SELECT "id" FROM account)
      RETURNING b."accountId", b."id", b."uidNext" - added.copies AS "firstUid",
        b."highestModseq" - added.copies AS "modseqBefore"
    ), inserted AS (
      INSERT INTO "Message" (
        "accountId", "id", "mailboxId", "uid", "modseq", "sourceSha256", "threadId", "seen",
        "flagged", "answered", "draft", "deleted", "keywords",
        "receivedAt", "sentAt", "size", "fromAddress", "fromName", "toList", "ccList",
        "subject", "messageIdHeader", "inReplyTo", "references", "snippet", "hasAttachments",
        "claimedLocalSender", "spamVerdict")
      SELECT c."accountId", c.id, b.id, b."firstUid" + (row_number() OVER w)::int - 1,
        b."modseqBefore" + row_number() OVER w, c."sha256", c."threadId", c.seen,
        c.flagged, c.answered, c.draft, c.deleted, c.keywords,
        c."receivedAt", c."sentAt", c.size, c."fromAddress", c."fromName", c."toList", c."ccList",
        c.subject, c."messageIdHeader", c."inReplyTo", c."references", c.snippet, c."hasAttachments",
        c."claimedLocalSender", c."spamVerdict"
      FROM c JOIN target t ON t.n = c.n JOIN mailbox b ON b."accountId" = c."accountId" AND b.id = t."mailboxId"
      WINDOW w AS (PARTITION BY b.id ORDER BY c.n)
      RETURNING "accountId", "id", "mailboxId", "uid"
    ), unindexed AS (
      INSERT INTO "UnindexedMessage" ("accountId", "messageId") SELECT "accountId", "id" FROM inserted
    )
    SELECT i."id"::text AS "id", i."accountId"::text AS "accountId", i."mailboxId"::text AS "mailboxId", i."uid",
      pg_notify(${MAIL_CHANGES_CHANNEL}, json_build_object(
        'accountId', i."accountId"::text, 'mailboxId', i."mailboxId", 'kind', 'new',
        'messageId', i."id"::text, 'uid', i."uid")::text)::text AS notified
    FROM inserted i`;
  const result = await tx.query<CopyRow>(statement.toQuery());
  const stored = new Map(result.rows.map((row) => [row.id, row]));
  const missing = plans.find((c) => !stored.has(c.messageId));
  // Nothing inserted for an account: its quota check refused (or the folder
  // is gone: createAccount never allows a missing special folder). The
  // transaction rolls back whole.
  if (missing) throw new OverQuotaError(missing.accountId);
  return stored;
}

/** Postgres text and jsonb cannot hold NUL characters or lone surrogates; decoded mail sometimes does. */
const clean = toStorableText;
