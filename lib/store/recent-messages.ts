// IMAP's \Recent flag (RFC 3501 §2.3.2): a message is recent in exactly one
// session, the first read-write one to select its folder after it arrived.
// The folder row keeps where the unclaimed messages start ("recentUid"); a
// session claims [recentUid, uidNext) by moving recentUid to uidNext, so
// concurrent sessions (on any gateway instance) never both see one message
// as recent. Uids only grow, so the range is the claim.
import { query, sql } from "../db/sql.ts";
import { isUuid } from "./list-messages.ts";

/**
 * Claims the folder's messages with uids below `upTo` that no session has
 * claimed yet. Returns the first uid of the claimed range (the range is
 * empty when it equals `upTo` or more).
 */
export async function claimRecentMessages(
  accountId: string,
  mailboxId: string,
  upTo: number,
): Promise<number> {
  if (!isUuid(mailboxId)) return upTo;
  const rows = await query<{ from: number }>(
    sql`WITH old AS (
        SELECT "recentUid" FROM "Mailbox"
        WHERE "accountId" = ${accountId}::uuid AND "id" = ${mailboxId}::uuid FOR UPDATE)
      UPDATE "Mailbox" b SET "recentUid" = GREATEST(old."recentUid", ${upTo}::int4) FROM old
      WHERE b."accountId" = ${accountId}::uuid AND b."id" = ${mailboxId}::uuid
      RETURNING old."recentUid" AS "from"`,
  );
  return rows[0] ? Number(rows[0].from) : upTo;
}

/** How many of the folder's messages are still unclaimed (STATUS RECENT). */
export async function countRecentMessages(
  accountId: string,
  mailboxId: string,
  recentUid: number,
): Promise<number> {
  if (!isUuid(mailboxId)) return 0;
  const rows = await query<{ count: string }>(
    sql`SELECT count(*)::text AS "count" FROM "Message"
      WHERE "accountId" = ${accountId}::uuid AND "mailboxId" = ${mailboxId}::uuid
        AND "uid" >= ${recentUid}::int4`,
  );
  return Number(rows[0]?.count ?? 0);
}
