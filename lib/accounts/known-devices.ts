// The browsers an account has signed in from (KnownDevice). The web app
// gives each browser a long-lived random cookie; only its SHA-256 is stored.
// A sign-in from a browser the account has not seen (while it has seen
// others) sends the user a notice to their Inbox, delivered like any local
// mail (lib/queue/send-null-sender.ts: the store, the user's own rules).
import { createHash, randomBytes } from "node:crypto";
import { db } from "../db.ts";
import { KNOWN_DEVICES_KEPT } from "../config/limits.ts";
import { composeNotice } from "../mime/compose-notice.ts";
import { describeUserAgent } from "../http/user-agent.ts";
import { sendNullSenderMessage } from "../queue/send-null-sender.ts";
import type { AuthenticatedAccount } from "./authenticate.ts";

/** A new device cookie value: 192 random bits. */
export function newDeviceToken(): string {
  return randomBytes(24).toString("base64url");
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export type SignInDevice = {
  /** The browser's device cookie. */
  token: string;
  ip: string;
  userAgent: string;
  /** Where the user reviews sessions (the Security page's URL), for the notice. */
  securityUrl?: string;
};

/**
 * Records a completed web sign-in's browser. Returns true when it was new to
 * the account and the account had signed in elsewhere before: the user was
 * then sent a notice (a failure to deliver it is logged, never a failed
 * sign-in).
 */
export async function noteSignInDevice(
  account: Pick<AuthenticatedAccount, "id" | "address" | "displayName">,
  device: SignInDevice,
): Promise<boolean> {
  const tokenHash = hashToken(device.token);
  const userAgent = device.userAgent.slice(0, 400);
  // xmax = 0 only on a row this statement inserted.
  const [row] = await db.$queryRaw<{ inserted: boolean; others: number }[]>`
    INSERT INTO "KnownDevice" AS d ("accountId", "tokenHash", "userAgent")
    VALUES (${account.id}::uuid, ${tokenHash}, ${userAgent})
    ON CONFLICT ("accountId", "tokenHash") DO UPDATE SET "lastSeenAt" = now(), "userAgent" = EXCLUDED."userAgent"
    RETURNING (xmax = 0) AS inserted,
      (SELECT count(*)::int FROM "KnownDevice" o
        WHERE o."accountId" = ${account.id}::uuid AND o."tokenHash" <> ${tokenHash}) AS others`;
  if (!row?.inserted) return false;
  await db.$executeRaw`
    DELETE FROM "KnownDevice" WHERE "accountId" = ${account.id}::uuid AND "tokenHash" IN (
      SELECT "tokenHash" FROM "KnownDevice" WHERE "accountId" = ${account.id}::uuid
      ORDER BY "lastSeenAt" DESC OFFSET ${KNOWN_DEVICES_KEPT})`;
  // The very first sign-in of an account is no news to its owner.
  if (row.others === 0) return false;
  await sendNewDeviceNotice(account, device).catch((error: unknown) => {
    console.error(`new-device notice for ${account.address} not delivered:`, error);
  });
  return true;
}

async function sendNewDeviceNotice(
  account: Pick<AuthenticatedAccount, "address" | "displayName">,
  device: SignInDevice,
): Promise<void> {
  const domain = account.address.slice(account.address.lastIndexOf("@") + 1);
  const when = new Date();
  const lines = [
    `Your account ${account.address} was just signed in to from a device it had not been used on before.`,
    "",
    `Device: ${describeUserAgent(device.userAgent)}`,
    `IP address: ${device.ip}`,
    `Time: ${when.toUTCString()}`,
    "",
    "If this was you, there is nothing to do.",
    "If it was not, change your password and sign that session out on the Security page" +
      (device.securityUrl ? `: ${device.securityUrl}` : " of your settings."),
  ];
  const raw = await composeNotice({
    from: { name: "Mail security", address: `postmaster@${domain}` },
    to: { name: account.displayName, address: account.address },
    subject: "New sign-in to your account",
    text: lines.join("\n"),
    date: when,
  });
  await sendNullSenderMessage(raw, account.address, { enforceQuota: false });
}
