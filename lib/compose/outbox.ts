// The gateway's half of undo and scheduled send (lib/compose/send.ts has the
// webmail's half and the exactly-once argument): submitting due pending
// sends. Kept apart from send.ts so the gateway does not load the composer
// (its HTML sanitizer pulls in jsdom, some 90 MB of memory per process).
import { db } from "../db.ts";
import { isUserError } from "../errors.ts";
import { submitMessage } from "../submission/submit-message.ts";
import { MAIL_CHANGES_CHANNEL } from "../store/changes.ts";

/** Tells the account's open webmail tabs that the Outbox changed (they re-read the page). */
export async function notifyOutbox(
  accountId: string,
  client: { $queryRaw: typeof db.$queryRaw } = db,
): Promise<void> {
  await client.$queryRaw`SELECT pg_notify(${MAIL_CHANGES_CHANNEL}, json_build_object(
    'accountId', ${accountId}::text, 'mailboxId', NULL, 'kind', 'outbox')::text)::text AS sent`;
}

type DueRow = {
  accountId: string;
  id: string;
  raw: Uint8Array;
  recipients: string[];
  messageIdHeader: string;
  clientIp: string;
};

/**
 * Submits one due pending send, if there is one; returns whether it did.
 * Runs in the gateway's scheduled-send worker (any number at once). A send
 * that submitMessage refuses (a limit, a recipient gone meanwhile) stays in
 * the Outbox as failed, with the reason.
 */
export async function submitNextDueSend(log: (line: string) => void = () => {}): Promise<boolean> {
  return db.$transaction(
    async (tx) => {
      // No index leads with sendAt (every index here leads with accountId):
      // rows live for seconds (undo) or until their time (scheduled), so the
      // table stays small and this scan cheap.
      const [row] = await tx.$queryRaw<DueRow[]>`
        SELECT "accountId"::text AS "accountId", "id"::text AS "id", "raw", "recipients",
          "messageIdHeader", "clientIp"
        FROM "PendingSubmission"
        WHERE "status" = 'PENDING' AND "sendAt" <= now()
        ORDER BY "sendAt" LIMIT 1
        FOR UPDATE SKIP LOCKED`;
      if (!row) return false;
      const alreadySent = await tx.message.findFirst({
        where: {
          accountId: row.accountId,
          messageIdHeader: row.messageIdHeader,
          mailbox: { specialUse: "SENT" },
        },
        select: { id: true },
      });
      if (!alreadySent) {
        try {
          await submitMessage({
            accountId: row.accountId,
            recipients: row.recipients,
            raw: Buffer.from(row.raw),
            via: { protocol: "webmail", clientIp: row.clientIp || "127.0.0.1" },
          });
        } catch (error) {
          if (!isUserError(error)) throw error;
          log(`scheduled: send ${row.id} refused: ${error.message}`);
          await tx.pendingSubmission.update({
            where: { accountId_id: { accountId: row.accountId, id: row.id } },
            data: { status: "FAILED", lastError: error.message },
          });
          await notifyOutbox(row.accountId, tx);
          return true;
        }
      }
      await tx.pendingSubmission.delete({
        where: { accountId_id: { accountId: row.accountId, id: row.id } },
      });
      await notifyOutbox(row.accountId, tx);
      return true;
    },
    // submitMessage stores and signs in its own transaction meanwhile.
    { timeout: 120_000, maxWait: 10_000 },
  );
}
