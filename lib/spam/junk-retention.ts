// Junk empties itself: mail that has sat in an account's Junk folder longer
// than JUNK_RETENTION_DAYS (default 30, as Outlook.com and Gmail do) is
// deleted for good, through lib/store's delete (counters, quota, NOTIFY).
// Run by every gateway's spam maintenance (maintenance.ts); a session-level
// advisory lock lets one instance at a time sweep, the others skip the round.
import { pgPool } from "../db.ts";
import { deleteJunkReceivedBefore } from "../store/delete-messages.ts";

/** pg_try_advisory_lock key of the sweep (any constant no other lock uses). */
const LOCK_KEY = 0x4a554e4b; // "JUNK"

/**
 * Deletes Junk mail received more than `days` days before `now` in every
 * account. Returns how many messages went, or null when another instance
 * holds the sweep.
 */
export async function expireJunk(days: number, now = new Date()): Promise<number | null> {
  if (days <= 0) return 0;
  const before = new Date(now.getTime() - days * 86_400_000);
  const client = await pgPool().connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [
      LOCK_KEY,
    ]);
    if (!rows[0]?.ok) return null;
    try {
      // Each account's Junk folder, through its (accountId, specialUse)
      // lookups; the accounts come in pages by id.
      let total = 0;
      let after = "00000000-0000-0000-0000-000000000000";
      for (;;) {
        const page = await client.query<{ accountId: string }>(
          `SELECT "id"::text AS "accountId" FROM "Account" WHERE "id" > $1::uuid ORDER BY "id" LIMIT 500`,
          [after],
        );
        if (page.rows.length === 0) return total;
        // Only the accounts whose Junk holds expired mail (one indexed probe each).
        const due = await client.query<{ accountId: string }>(
          `SELECT b."accountId"::text AS "accountId" FROM "Mailbox" b
           WHERE b."accountId" = ANY($1::uuid[]) AND b."specialUse" = 'JUNK'
             AND EXISTS (SELECT 1 FROM "Message" m WHERE m."accountId" = b."accountId"
               AND m."mailboxId" = b."id" AND m."receivedAt" < $2)`,
          [page.rows.map((r) => r.accountId), before],
        );
        for (const { accountId } of due.rows) {
          for (;;) {
            const n = await deleteJunkReceivedBefore(accountId, before);
            total += n;
            if (n < 1000) break;
          }
        }
        after = page.rows[page.rows.length - 1]!.accountId;
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
