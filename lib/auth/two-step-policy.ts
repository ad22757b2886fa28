// Admins' requirements of two-step verification (TwoStepRequirement): for
// every admin, or for every account of a hosted domain, each with a grace
// period. An account a requirement covers that has not turned two-step on
// (lib/auth/two-step.ts) is told so until the grace period ends, and after
// it is sent to the Security page before reaching mail (the webmail's page
// asks mustEnrolTwoStep). The admin's reset of a user's second factor is
// here too; the factors it clears are resetSecondFactors's.
import { z } from "zod";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { MAX_TWO_STEP_GRACE_DAYS } from "../config/limits.ts";
import { isTwoStepEnabled, resetSecondFactors } from "./two-step.ts";

export type TwoStepScope = { kind: "admins" } | { kind: "domain"; domainId: string };

export type TwoStepRequirementRow = {
  scope: string;
  /** "All admins" or the domain's name. */
  label: string;
  enforcedFrom: Date;
};

const ADMINS = "admins";
const domainScope = (domainId: string) => `domain:${domainId}`;

const graceDays = z.coerce
  .number({ message: "Enter the grace period in days." })
  .int("Enter whole days.")
  .min(0, "The grace period cannot be negative.")
  .max(MAX_TWO_STEP_GRACE_DAYS, `Give at most ${MAX_TWO_STEP_GRACE_DAYS} days.`);

/**
 * Requires two-step for the scope from `graceDaysInput` days from now on
 * (0: at once), replacing an earlier requirement of the same scope. Returns
 * the scope's label and when it is enforced.
 */
export async function requireTwoStep(
  scope: TwoStepScope,
  graceDaysInput: unknown,
  now = new Date(),
): Promise<{ label: string; enforcedFrom: Date }> {
  const parsed = graceDays.safeParse(graceDaysInput);
  if (!parsed.success)
    throw new UserError("invalid_input", parsed.error.issues[0]!.message, "graceDays");
  const label = await scopeLabel(scope);
  const enforcedFrom = new Date(now.getTime() + parsed.data * 86_400_000);
  const key = scope.kind === "admins" ? ADMINS : domainScope(scope.domainId);
  await db.twoStepRequirement.upsert({
    where: { scope: key },
    create: { scope: key, enforcedFrom },
    update: { enforcedFrom },
  });
  return { label, enforcedFrom };
}

/** Lifts a requirement; UserError "not_found" when there is none. Returns its label. */
export async function liftTwoStepRequirement(scopeKey: string): Promise<string> {
  const rows = await listTwoStepRequirements();
  const row = rows.find((r) => r.scope === scopeKey);
  if (!row) throw new UserError("not_found", "There is no such requirement.");
  await db.twoStepRequirement.deleteMany({ where: { scope: scopeKey } });
  return row.label;
}

async function scopeLabel(scope: TwoStepScope): Promise<string> {
  if (scope.kind === "admins") return "All admins";
  const domain = z.uuid().safeParse(scope.domainId).success
    ? await db.domain.findUnique({ where: { id: scope.domainId }, select: { name: true } })
    : null;
  if (!domain) throw new UserError("not_found", "There is no such domain.");
  return domain.name;
}

/** Requirements in force, admins first; those of removed domains are left out. */
export async function listTwoStepRequirements(): Promise<TwoStepRequirementRow[]> {
  const [rows, domains] = await Promise.all([
    db.twoStepRequirement.findMany({ orderBy: { scope: "asc" } }),
    db.domain.findMany({ select: { id: true, name: true } }),
  ]);
  const names = new Map(domains.map((d) => [domainScope(d.id), d.name]));
  return rows
    .map((r) => ({
      scope: r.scope,
      label: r.scope === ADMINS ? "All admins" : (names.get(r.scope) ?? ""),
      enforcedFrom: r.enforcedFrom,
    }))
    .filter((r) => r.label !== "")
    .sort((a, b) => Number(b.scope === ADMINS) - Number(a.scope === ADMINS));
}

export type TwoStepObligation = {
  /** When the earliest requirement covering the account is (or was) enforced. */
  enforcedFrom: Date;
  /** The grace period is over and two-step is still off: enrol before mail. */
  overdue: boolean;
};

/** What the requirements ask of the account: null when none covers it or two-step is on. */
export async function twoStepObligation(
  accountId: string,
  now = new Date(),
): Promise<TwoStepObligation | null> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: { role: true, domainId: true, twoStepEnabledAt: true },
  });
  if (!account || isTwoStepEnabled(account)) return null;
  const scopes = [domainScope(account.domainId)];
  if (account.role === "ADMIN") scopes.push(ADMINS);
  const first = await db.twoStepRequirement.findFirst({
    where: { scope: { in: scopes } },
    orderBy: { enforcedFrom: "asc" },
  });
  if (!first) return null;
  return { enforcedFrom: first.enforcedFrom, overdue: first.enforcedFrom <= now };
}

/** Whether the account must turn two-step on before it reaches mail. */
export async function mustEnrolTwoStep(accountId: string, now = new Date()): Promise<boolean> {
  return (await twoStepObligation(accountId, now))?.overdue ?? false;
}

/**
 * An admin's reset of a user's second factor (lost phone): every factor is
 * removed and two-step is off, so the user signs in with the password alone
 * and enrols again. UserError "not_found" for no such account. The caller
 * audits it.
 */
export async function resetTwoStepOf(accountId: string): Promise<{ address: string }> {
  return db.$transaction(async (tx) => {
    const account = z.uuid().safeParse(accountId).success
      ? await tx.account.findUnique({ where: { id: accountId }, select: { address: true } })
      : null;
    if (!account) throw new UserError("not_found", "There is no such account.");
    await resetSecondFactors(tx, accountId);
    return account;
  });
}
