// Account changes made by admins (dashboard and CLI). Each change that must
// end existing sessions goes through updateAccountEndingSessions (bumps
// sessionVersion and deletes the web sessions, which getSessionAccount checks
// on every request); SMTP, IMAP and POP3 logins go through authenticate(),
// which refuses disabled accounts.
//
// `actor` is the admin making the change (null from the command line): an
// admin may not disable, demote or delete their own account, so a slip of
// the mouse cannot lock the last admin out.
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { hashPassword } from "../auth/password.ts";
import { passwordProblem } from "../auth/password-policy.ts";
import { MAX_SETTABLE_QUOTA_BYTES, MIN_SETTABLE_QUOTA_BYTES } from "../config/limits.ts";
import { Role } from "../generated/prisma/enums.ts";
import { releaseHeldMessagesQuietly } from "../delivery/held-messages.ts";
import { normalizeAddress, splitAddress } from "./address.ts";
import { updateAccountEndingSessions } from "./web-sessions.ts";

export type Actor = { id: string } | null;

async function accountIdByAddress(address: string): Promise<string> {
  const account = await findAccountByAddress(address);
  if (!account) throw new UserError("not_found", `No account ${address}.`);
  return account.id;
}

function refuseSelf(actor: Actor | undefined, targetId: string, message: string): void {
  if (actor && actor.id === targetId) throw new UserError("forbidden", message);
}

export async function setAccountDisabled(
  address: string,
  disabled: boolean,
  actor: Actor = null,
): Promise<void> {
  const id = await accountIdByAddress(address);
  if (disabled) refuseSelf(actor, id, "You cannot disable your own account.");
  await updateAccountEndingSessions(id, { disabled });
  // An admin enabled again may be the one the kept postmaster mail waits for.
  if (!disabled) await releaseHeldMessagesQuietly();
}

export async function setAccountRole(
  address: string,
  role: Role,
  actor: Actor = null,
): Promise<void> {
  const id = await accountIdByAddress(address);
  if (role !== Role.ADMIN) refuseSelf(actor, id, "You cannot remove your own admin role.");
  await updateAccountEndingSessions(id, { role });
  if (role === Role.ADMIN) await releaseHeldMessagesQuietly();
}

/** Sets a new password under the password policy; the account's sessions end. */
export async function setAccountPassword(address: string, password: string): Promise<void> {
  const id = await accountIdByAddress(address);
  const problem = passwordProblem(password, { address: normalizeAddress(address) });
  if (problem) throw new UserError("weak_password", problem, "password");
  const passwordHash = await hashPassword(password);
  await updateAccountEndingSessions(id, { passwordHash });
}

/** Sets the mailbox quota; mail already stored stays even when it is over. */
export async function setAccountQuota(address: string, quotaBytes: bigint): Promise<void> {
  if (
    quotaBytes < BigInt(MIN_SETTABLE_QUOTA_BYTES) ||
    quotaBytes > BigInt(MAX_SETTABLE_QUOTA_BYTES)
  ) {
    throw new UserError(
      "invalid_input",
      `A quota is between ${MIN_SETTABLE_QUOTA_BYTES / 1024 / 1024} MiB and ${MAX_SETTABLE_QUOTA_BYTES / 1024 ** 4} TiB.`,
      "quota",
    );
  }
  const id = await accountIdByAddress(address);
  await db.account.update({ where: { id }, data: { quotaBytes } });
}

/** The account with that address; null for none, and for text that is no address. */
export async function findAccountByAddress(address: string) {
  if (!splitAddress(address)) return null;
  return db.account.findUnique({
    where: { address: normalizeAddress(address) },
    select: { id: true, address: true, displayName: true, role: true, disabled: true },
  });
}

export type DeletedAccount = { address: string; messages: number; freedSources: number };

/**
 * Deletes the account with its folders, messages, threads and contacts, and
 * the stored message sources that no other copy (Message) or outbound row
 * (OutboundRecipient) uses, all in one transaction. Queued outbound mail the
 * account sent stays queued (it was accepted for delivery) and keeps its
 * source.
 *
 * Sources are shared by content hash, so a delivery running now may be
 * adding a copy of the same bytes to another account. A source is deleted
 * only when it can be locked FOR UPDATE without waiting (SKIP LOCKED) and is
 * then unreferenced: a delivery whose new Message row is not yet committed
 * holds a KEY SHARE lock on it (from the foreign key check), so such a
 * source is skipped and kept; a delivery that reaches its foreign key check
 * after our lock waits for our commit and then fails cleanly (4xx to the
 * sender, who retries and stores the bytes anew). Either way no message is
 * left pointing at missing bytes.
 */
export async function deleteAccount(address: string, actor: Actor = null): Promise<DeletedAccount> {
  const id = await accountIdByAddress(address);
  refuseSelf(actor, id, "You cannot delete your own account.");
  return db.$transaction(
    async (tx) => {
      // Lock order: Account before Mailbox and Message rows (lib/store/lock-messages.ts).
      const locked = await tx.$queryRaw<{ address: string }[]>`
        SELECT "address" FROM "Account" WHERE "id" = ${id}::uuid FOR UPDATE`;
      if (locked.length === 0) throw new UserError("not_found", `No account ${address}.`);
      const sources = await tx.$queryRaw<{ sha256: string; copies: bigint }[]>`
        SELECT "sourceSha256" AS "sha256", count(*) AS "copies"
        FROM "Message" WHERE "accountId" = ${id}::uuid GROUP BY "sourceSha256"`;
      const messages = sources.reduce((n, s) => n + Number(s.copies), 0);
      await tx.$executeRaw`DELETE FROM "Thread" WHERE "accountId" = ${id}::uuid`;
      // Mailboxes, messages and contacts go by ON DELETE CASCADE; owned
      // aliases and the account's outbound rows keep going without an owner.
      await tx.$executeRaw`DELETE FROM "Account" WHERE "id" = ${id}::uuid`;
      const hashes = sources.map((s) => s.sha256);
      const freedSources =
        hashes.length === 0
          ? 0
          : await tx.$executeRaw`
        DELETE FROM "MessageSource" s
        WHERE s."sha256" IN (
          SELECT "sha256" FROM "MessageSource" WHERE "sha256" = ANY(${hashes}::text[])
          FOR UPDATE SKIP LOCKED)
        AND NOT EXISTS (SELECT 1 FROM "Message" m WHERE m."sourceSha256" = s."sha256")
        AND NOT EXISTS (SELECT 1 FROM "OutboundRecipient" o WHERE o."sourceSha256" = s."sha256")
        AND NOT EXISTS (SELECT 1 FROM "HeldMessage" h WHERE h."sourceSha256" = s."sha256")`;
      return { address: locked[0]!.address, messages, freedSources };
    },
    { timeout: 60_000 },
  );
}

export { Role };
