// App passwords: one secret per mail client, for IMAP, POP3 and SMTP
// submission (lib/accounts/authenticate.ts accepts them there, and only
// there: never at the web sign-in). Once two-step verification is on
// (lib/auth/two-step.ts) they are the only way those protocols sign in.
//
// A password is APP_PASSWORD_LENGTH random letters, shown once; the row keeps
// its argon2id hash (lib/auth/password.ts) and, in clear, its first
// APP_PASSWORD_LOOKUP_CHARS letters, so a login verifies the one or two hashes
// that can match instead of every one the account has. Revoking deletes the
// row and NOTIFYs on the live channel in the same transaction, so every
// gateway instance ends the IMAP and POP3 sessions that signed in with it
// (watchAppPassword); sessions also re-read the row every
// APP_PASSWORD_RECHECK_SECONDS, for a notification lost while a LISTEN
// connection was down.
import { randomInt } from "node:crypto";
import { z } from "zod";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import {
  APP_PASSWORD_LENGTH,
  APP_PASSWORD_LOOKUP_CHARS,
  APP_PASSWORD_RECHECK_SECONDS,
  APP_PASSWORD_TOUCH_SECONDS,
  MAX_APP_PASSWORD_NAME_LENGTH,
  MAX_APP_PASSWORDS_PER_ACCOUNT,
} from "../config/limits.ts";
import { MAIL_CHANGES_CHANNEL } from "../store/changes.ts";
import { subscribeToChanges } from "../live/index.ts";
import { hashPassword, verifyPassword } from "./password.ts";
import type { LoginProtocol } from "./login-throttle.ts";

export type AppPasswordSummary = {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
  lastUsedProtocol: string | null;
};

/** The kind of the live notification a revocation sends (lib/live). */
export const APP_PASSWORD_REVOKED = "app_password_revoked";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz";
const SHAPE = new RegExp(`^[a-z]{${APP_PASSWORD_LENGTH}}$`);

const nameSchema = z
  .string()
  .trim()
  .min(1, "Give the app password a name, such as the device it is for.")
  .max(MAX_APP_PASSWORD_NAME_LENGTH, `Use at most ${MAX_APP_PASSWORD_NAME_LENGTH} characters.`)
  // Shown in lists and logs: no control characters (CR/LF, NUL).
  .refine((name) => !/\p{Cc}/u.test(name), "Use letters, digits and punctuation only.");

/**
 * What a user typed, as a stored password would be: clients and people copy
 * the grouped form ("abcd efgh ijkl mnop") or capitals. Null when it cannot
 * be an app password at all, so the account password is the only candidate.
 */
export function normalizeAppPassword(input: string): string | null {
  if (input.length > APP_PASSWORD_LENGTH * 2) return null;
  const compact = input.replace(/[\s-]/g, "").toLowerCase();
  return SHAPE.test(compact) ? compact : null;
}

/** Four groups of four letters, as the page shows it once. */
export function formatAppPassword(password: string): string {
  return password.replace(/(.{4})(?=.)/g, "$1 ");
}

/**
 * Makes an app password for the account and returns it with its secret, the
 * only time the secret exists outside a hash. Throws UserError
 * "invalid_input" (field "name") for a bad name, "forbidden" past
 * MAX_APP_PASSWORDS_PER_ACCOUNT.
 */
export async function createAppPassword(
  accountId: string,
  nameInput: string,
): Promise<{ id: string; name: string; password: string }> {
  const parsed = nameSchema.safeParse(nameInput);
  if (!parsed.success)
    throw new UserError("invalid_input", parsed.error.issues[0]!.message, "name");
  const name = parsed.data;
  let password = "";
  for (let i = 0; i < APP_PASSWORD_LENGTH; i++) password += ALPHABET[randomInt(ALPHABET.length)];
  const hash = await hashPassword(password);
  // The count and the insert in one statement, so parallel creates cannot pass the limit together.
  const rows = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO "AppPassword" ("accountId", "id", "name", "lookup", "hash")
    SELECT ${accountId}::uuid, gen_random_uuid(), ${name}, ${password.slice(0, APP_PASSWORD_LOOKUP_CHARS)}, ${hash}
    WHERE (SELECT count(*) FROM "AppPassword" WHERE "accountId" = ${accountId}::uuid) < ${MAX_APP_PASSWORDS_PER_ACCOUNT}
    RETURNING "id"::text`;
  if (rows.length === 0)
    throw new UserError(
      "forbidden",
      `You have ${MAX_APP_PASSWORDS_PER_ACCOUNT} app passwords already. Revoke one you no longer use first.`,
    );
  return { id: rows[0]!.id, name, password };
}

/** The account's app passwords, newest first (never their hashes). */
export async function listAppPasswords(accountId: string): Promise<AppPasswordSummary[]> {
  return db.appPassword.findMany({
    where: { accountId },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      name: true,
      createdAt: true,
      lastUsedAt: true,
      lastUsedIp: true,
      lastUsedProtocol: true,
    },
  });
}

/**
 * Revokes one of the account's app passwords: it stops working at once, and
 * the NOTIFY sent in the same transaction ends the IMAP and POP3 sessions
 * signed in with it on every instance. UserError "not_found" when the
 * account has no such app password (another account's included).
 */
export async function revokeAppPassword(accountId: string, id: string): Promise<void> {
  if (!z.uuid().safeParse(id).success)
    throw new UserError("not_found", "There is no such app password.");
  await db.$transaction(async (tx) => {
    const removed = await tx.appPassword.deleteMany({ where: { accountId, id } });
    if (removed.count === 0) throw new UserError("not_found", "There is no such app password.");
    const payload = JSON.stringify({ accountId, kind: APP_PASSWORD_REVOKED, appPasswordId: id });
    await tx.$queryRaw`SELECT pg_notify(${MAIL_CHANGES_CHANNEL}, ${payload})::text AS sent`;
  });
}

/**
 * The id of the account's app password that `password` is, or null. Costs
 * one argon2 verification per stored password sharing its first letters
 * (usually one, none when no lookup matches).
 */
export async function matchAppPassword(
  accountId: string,
  passwordInput: string,
): Promise<string | null> {
  const password = normalizeAppPassword(passwordInput);
  if (!password) return null;
  const candidates = await db.appPassword.findMany({
    where: { accountId, lookup: password.slice(0, APP_PASSWORD_LOOKUP_CHARS) },
    select: { id: true, hash: true },
  });
  for (const candidate of candidates) {
    if (await verifyPassword(candidate.hash, password)) return candidate.id;
  }
  return null;
}

/** Records a login with the app password (when and from where), at most every APP_PASSWORD_TOUCH_SECONDS. */
export async function touchAppPassword(
  accountId: string,
  id: string,
  use: { ip: string; protocol: LoginProtocol },
): Promise<void> {
  const ip = use.ip.slice(0, 64);
  await db.$executeRaw`
    UPDATE "AppPassword" SET "lastUsedAt" = now(), "lastUsedIp" = ${ip}, "lastUsedProtocol" = ${use.protocol}
    WHERE "accountId" = ${accountId}::uuid AND "id" = ${id}::uuid
      AND ("lastUsedAt" IS NULL OR "lastUsedAt" < now() - ${APP_PASSWORD_TOUCH_SECONDS}::float8 * interval '1 second'
           OR "lastUsedIp" IS DISTINCT FROM ${ip} OR "lastUsedProtocol" IS DISTINCT FROM ${use.protocol})`;
}

export async function appPasswordExists(accountId: string, id: string): Promise<boolean> {
  return (await db.appPassword.count({ where: { accountId, id } })) > 0;
}

/**
 * Calls `onRevoked` once when the app password a mail session signed in
 * with is revoked: at once on the revocation's notification, or within
 * APP_PASSWORD_RECHECK_SECONDS by re-reading the row (after a LISTEN
 * reconnect, notifications sent meanwhile are lost). `ready` resolves once
 * the LISTEN is in place. Call `stop` when the session ends.
 */
export function watchAppPassword(
  accountId: string,
  appPasswordId: string,
  onRevoked: () => void,
): { stop: () => void; ready: Promise<void> } {
  let stopped = false;
  const revoked = () => {
    if (stopped) return;
    stop();
    onRevoked();
  };
  const recheck = () => {
    void appPasswordExists(accountId, appPasswordId).then(
      (exists) => (exists ? undefined : revoked()),
      // The database is away: the session's own commands fail meanwhile; check again later.
      () => {},
    );
  };
  const subscription = subscribeToChanges(accountId, (change) => {
    if (change.kind === APP_PASSWORD_REVOKED && change.appPasswordId === appPasswordId) revoked();
    else if (change.kind === "resync") recheck();
  });
  const timer = setInterval(recheck, APP_PASSWORD_RECHECK_SECONDS * 1000);
  timer.unref();
  function stop() {
    stopped = true;
    clearInterval(timer);
    subscription.unsubscribe();
  }
  return { stop, ready: subscription.ready };
}
