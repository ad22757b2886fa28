// Signup invitations, for the "invite" signup mode (lib/accounts/settings.ts):
// creating one (dashboard and CLI), listing, revoking, and redeeming one in
// the transaction that creates the account (lib/accounts/signup.ts through
// createAccount). Not here: whether the service is in invite mode, and the
// other signup rules (signup.ts).
//
// A code is random (INVITE_CODE_BYTES) and shown once to whoever made it;
// only its SHA-256 is stored, so a copy of the database hands out no codes.
// A plain hash suffices (no salt or slow hash): the code has 192 random bits,
// not a person's guessable password.
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { db, type Tx } from "../db.ts";
import { loadConfig } from "../config/index.ts";
import {
  DEFAULT_INVITE_DAYS,
  INVITE_CODE_BYTES,
  MAX_INVITE_DAYS,
  MAX_INVITE_USES,
} from "../config/limits.ts";
import { UserError } from "../errors.ts";
import { findHostedDomain } from "./domains.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Longest text taken as a code: real codes are 32 characters; anything far longer is not one. */
const MAX_CODE_INPUT_LENGTH = 200;

export const newInviteSchema = z.object({
  /** Empty: the invite is good on any signup domain. */
  domain: z.string().trim().toLowerCase().max(253).default(""),
  maxUses: z
    .number({ error: "Uses: enter a whole number." })
    .int("Uses: enter a whole number.")
    .min(1, "Uses: at least 1.")
    .max(MAX_INVITE_USES, `Uses: at most ${MAX_INVITE_USES}.`)
    .default(1),
  days: z
    .number({ error: "Days: enter a whole number." })
    .int("Days: enter a whole number.")
    .min(1, "Days: at least 1.")
    .max(MAX_INVITE_DAYS, `Days: at most ${MAX_INVITE_DAYS}.`)
    .default(DEFAULT_INVITE_DAYS),
});

export type NewInvite = z.input<typeof newInviteSchema>;

/** Who makes an invite, named as the audit log names them. */
export type InviteCreator = { accountId: string | null; label: string };

export type CreatedInvite = {
  id: string;
  /** The only time the code exists outside the invitee's hands. */
  code: string;
  /** The signup page with the code filled in, at the service's public URL. */
  link: string;
  domain: string | null;
  maxUses: number;
  expiresAt: Date;
};

export type InviteStatus = "active" | "used" | "expired" | "revoked";

export type InviteRow = {
  id: string;
  status: InviteStatus;
  domain: string | null;
  maxUses: number;
  useCount: number;
  expiresAt: Date;
  creator: string;
  createdAt: Date;
  revokedAt: Date | null;
};

function hashCode(code: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash("sha256").update(code, "utf8").digest());
}

function inviteLink(code: string, siteUrl: string): string {
  return `${siteUrl.replace(/\/+$/, "")}/signup?invite=${encodeURIComponent(code)}`;
}

type InviteState = {
  revokedAt: Date | null;
  useCount: number;
  maxUses: number;
  expiresAt: Date;
};

function statusOf(invite: InviteState, now: Date): InviteStatus {
  if (invite.revokedAt) return "revoked";
  if (invite.useCount >= invite.maxUses) return "used";
  if (invite.expiresAt <= now) return "expired";
  return "active";
}

/**
 * Makes an invite; its link starts with `siteUrl` (the dashboard passes the
 * address the admin is using when PUBLIC_URL is unset). Throws ZodError for
 * uses or days out of range (its message names the field) and UserError for
 * a domain not hosted here.
 */
export async function createInvite(
  input: NewInvite,
  creator: InviteCreator,
  siteUrl = loadConfig().web.publicUrl,
): Promise<CreatedInvite> {
  const { domain: domainName, maxUses, days } = newInviteSchema.parse(input);
  let domain: { id: string; name: string } | null = null;
  if (domainName) {
    domain = await findHostedDomain(domainName);
    if (!domain) {
      throw new UserError("domain_not_hosted", `${domainName} is not hosted here.`, "domain");
    }
  }
  const code = randomBytes(INVITE_CODE_BYTES).toString("base64url");
  const invite = await db.invite.create({
    data: {
      codeHash: hashCode(code),
      domainId: domain?.id ?? null,
      maxUses,
      expiresAt: new Date(Date.now() + days * DAY_MS),
      createdById: creator.accountId,
      creator: creator.label,
    },
    select: { id: true, maxUses: true, expiresAt: true },
  });
  return { ...invite, code, link: inviteLink(code, siteUrl), domain: domain?.name ?? null };
}

const INVITE_ROW_SELECT = {
  id: true,
  maxUses: true,
  useCount: true,
  expiresAt: true,
  creator: true,
  createdAt: true,
  revokedAt: true,
  domain: { select: { name: true } },
} as const;

type SelectedInvite = Omit<InviteRow, "status" | "domain"> & { domain: { name: string } | null };

function toInviteRow({ domain, ...row }: SelectedInvite, now: Date): InviteRow {
  return { ...row, domain: domain?.name ?? null, status: statusOf(row, now) };
}

/** The latest invites first, with what each is now. */
export async function listInvites(limit = 200): Promise<InviteRow[]> {
  const rows = await db.invite.findMany({
    orderBy: { createdAt: "desc" },
    take: limit,
    select: INVITE_ROW_SELECT,
  });
  const now = new Date();
  return rows.map((row) => toInviteRow(row, now));
}

/** Stops an invite from working; accounts made with it stay. Returns it as it is now. */
export async function revokeInvite(id: string): Promise<InviteRow> {
  if (!z.uuid().safeParse(id).success) throw new UserError("not_found", "No such invite.");
  const revoked = await db.invite.updateMany({
    where: { id, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  const row = await db.invite.findUnique({ where: { id }, select: INVITE_ROW_SELECT });
  if (!row) throw new UserError("not_found", "No such invite.");
  if (revoked.count === 0) throw new UserError("invalid_input", "This invite was already revoked.");
  return toInviteRow(row, new Date());
}

type SignupDomain = { id: string; name: string; signupEnabled: boolean };

/** The invite a code names, read through `client` (a transaction or db); null for none. */
async function findInviteByCode(client: Tx, code: string) {
  if (code.length === 0 || code.length > MAX_CODE_INPUT_LENGTH) return null;
  return client.invite.findUnique({
    where: { codeHash: hashCode(code) },
    select: {
      revokedAt: true,
      useCount: true,
      maxUses: true,
      expiresAt: true,
      domain: { select: { id: true, name: true } },
    },
  });
}

type FoundInvite = Awaited<ReturnType<typeof findInviteByCode>>;

/**
 * Why the invite cannot be used (for an address on `domain`, when known), as
 * the UserError to show on the signup form; null when it can be used.
 */
function inviteProblem(invite: FoundInvite, domain: SignupDomain | null): UserError | null {
  if (!invite) {
    return new UserError(
      "invite_invalid",
      "This invite code is not valid. Check that you copied the whole link.",
      "invite",
    );
  }
  switch (statusOf(invite, new Date())) {
    case "revoked":
      return new UserError("invite_revoked", "This invite has been withdrawn.", "invite");
    case "used":
      return new UserError(
        "invite_used",
        "This invite has already been used. Ask for a new one.",
        "invite",
      );
    case "expired":
      return new UserError(
        "invite_expired",
        `This invite expired on ${invite.expiresAt.toISOString().slice(0, 10)}. Ask for a new one.`,
        "invite",
      );
    case "active":
      break;
  }
  if (domain && invite.domain && invite.domain.id !== domain.id) {
    return new UserError(
      "invite_wrong_domain",
      `This invite is for addresses at ${invite.domain.name}.`,
      "domain",
    );
  }
  // An invite naming a domain opens it even when its public signup is off
  // (that is the point of inviting someone to it); one that names none
  // only opens domains that take signups.
  if (domain && !invite.domain && !domain.signupEnabled) {
    return new UserError("signup_closed", `Signup is closed for ${domain.name}.`, "domain");
  }
  return null;
}

/**
 * Checks a code before any work is done (the signup form's early answer);
 * returns the domain it is limited to, or null. Throws the UserError that
 * says what is wrong. Not a reservation: redeemInvite decides.
 */
export async function checkInvite(
  code: string,
  domain: SignupDomain | null = null,
): Promise<{ domain: string | null }> {
  const invite = await findInviteByCode(db, code.trim());
  const problem = inviteProblem(invite, domain);
  if (problem) throw problem;
  return { domain: invite?.domain?.name ?? null };
}

/**
 * Uses up one signup of the invite for an address on `domain`. Runs in the
 * caller's transaction (the account's creation), so a failed signup gives
 * the use back. The check and the count are one UPDATE: a concurrent
 * redeemer of the last use waits for this transaction's row lock and then
 * re-reads the count, so two signups can never share one last use.
 */
export async function redeemInvite(tx: Tx, code: string, domain: SignupDomain): Promise<void> {
  const trimmed = code.trim();
  if (trimmed.length > 0 && trimmed.length <= MAX_CODE_INPUT_LENGTH) {
    const redeemed = await tx.$queryRaw<{ id: string }[]>`
      UPDATE "Invite" SET "useCount" = "useCount" + 1
      WHERE "codeHash" = ${hashCode(trimmed)}
        AND "revokedAt" IS NULL
        AND "useCount" < "maxUses"
        AND "expiresAt" > ${new Date()}
        AND ("domainId" = ${domain.id}::uuid OR ("domainId" IS NULL AND ${domain.signupEnabled}))
      RETURNING "id"`;
    if (redeemed.length === 1) return;
  }
  throw (
    inviteProblem(await findInviteByCode(tx, trimmed), domain) ??
    // Only if the invite changed between the UPDATE and the re-read.
    new UserError("invite_used", "This invite has already been used. Ask for a new one.", "invite")
  );
}
