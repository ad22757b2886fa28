// Mail to postmaster@ or abuse@ that arrived while no admin could receive it
// (resolve-recipient.ts: `held`) was accepted and kept as HeldMessage rows
// over its stored source. Once an admin can take it, it is delivered as it
// would have been on arrival: to whoever the role address resolves to now
// (the admins, or an alias made since), with its original arrival time.
// Called after an account becomes an admin or is enabled (lib/accounts),
// and by every gateway's scheduled worker each minute, so a release that
// failed (a full mailbox, the database away) is tried again.
import { query, sql } from "../db/sql.ts";
import { emptyParsedMessage, parseMessage } from "../mime/parse-message.ts";
import { HeldMessageGoneError, OverQuotaError, storeDelivery } from "../store/deliver.ts";
import { planSources } from "./deliver-inbound.ts";
import { resolveRecipient, type AcceptedRecipient } from "./resolve-recipient.ts";

/** Held messages looked at per call; the next call takes the rest. */
const RELEASE_BATCH = 100;

/**
 * Delivers the held messages whose role address can now be delivered;
 * returns how many. Each goes in one transaction with the deletion of its
 * row, so concurrent callers never deliver one twice. Throws only when the
 * database cannot be asked.
 */
export async function releaseHeldMessages(): Promise<number> {
  const rows = await query<{
    id: string;
    recipients: string[];
    mailFrom: string;
    receivedAt: Date;
  }>(
    sql`SELECT "id", "recipients", "mailFrom", "receivedAt" FROM "HeldMessage"
      ORDER BY "receivedAt", "id" LIMIT ${RELEASE_BATCH}`,
    "delivery-held-messages",
  );
  let released = 0;
  for (const row of rows) {
    const accepted: AcceptedRecipient[] = [];
    for (const recipient of row.recipients) {
      const resolution = await resolveRecipient(recipient, { mailFrom: row.mailFrom });
      if (resolution.ok && !resolution.held) accepted.push(resolution);
    }
    // Still no admin (or all full, or a domain gone): the message stays held, whole.
    if (accepted.length < row.recipients.length) continue;
    const [source] = await query<{ raw: Buffer }>(
      sql`SELECT s."raw" FROM "HeldMessage" h JOIN "MessageSource" s ON s."sha256" = h."sourceSha256"
        WHERE h."id" = ${row.id}::uuid`,
    );
    if (!source) continue;
    const parsed = await parseMessage(source.raw).catch(() => emptyParsedMessage());
    // The stored bytes already carry the trace fields added on arrival.
    const sources = planSources(
      { mailFrom: row.mailFrom, recipients: accepted },
      { memory: source.raw, file: null, size: source.raw.length },
      [],
      null,
      parsed,
    );
    try {
      await storeDelivery({ sources, receivedAt: row.receivedAt, releasesHeld: row.id });
      released++;
    } catch (error) {
      if (error instanceof HeldMessageGoneError || error instanceof OverQuotaError) continue;
      throw error;
    }
  }
  return released;
}

/**
 * releaseHeldMessages for a change that may have made an admin (creation,
 * promotion, enabling), which must not fail for it: a release that fails
 * here is done by the gateway's scheduled worker within a minute.
 */
export async function releaseHeldMessagesQuietly(): Promise<void> {
  await releaseHeldMessages().catch(() => 0);
}
