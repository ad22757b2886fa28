// Hosted domains: which domains this service receives mail for and lets
// people sign up on.
import { db } from "../db.ts";
import { query, sql } from "../db/sql.ts";
import { isValidDomainName, normalizeAddress } from "./address.ts";

/** Makes sure the configured default domain exists (run at every start). */
export async function ensureHostedDomain(name: string): Promise<{ id: string; name: string }> {
  const domain = normalizeAddress(name);
  if (!isValidDomainName(domain)) throw new Error(`Not a domain name: ${name}`);
  return db.domain.upsert({
    where: { name: domain },
    create: { name: domain, hosted: true, signupEnabled: true },
    update: {},
    select: { id: true, name: true },
  });
}

/** Domains on which anyone may sign up, for the signup form. */
export async function listSignupDomains(): Promise<string[]> {
  const rows = await db.domain.findMany({
    where: { hosted: true, signupEnabled: true },
    select: { name: true },
    orderBy: { name: "asc" },
  });
  return rows.map((r) => r.name);
}

/** The hosted domain of that name, or null (also for text that is no domain name at all). */
export async function findHostedDomain(name: string) {
  const domain = normalizeAddress(name);
  if (!isValidDomainName(domain)) return null;
  return db.domain.findFirst({ where: { name: domain, hosted: true } });
}

/** Every hosted domain's name, for pickers (an invite's domain). */
export async function listHostedDomainNames(): Promise<string[]> {
  const rows = await db.domain.findMany({
    where: { hosted: true },
    select: { name: true },
    orderBy: { name: "asc" },
  });
  return rows.map((r) => r.name);
}

/**
 * Which of `names` (lower-case domain names) are hosted here. On the
 * delivery path, so plain SQL over the unique index on name.
 */
export async function hostedDomainsAmong(names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const rows = await query<{ name: string }>(
    sql`SELECT "name" FROM "Domain" WHERE "hosted" AND "name" = ANY(${names}::text[])`,
    "hosted-domains-among",
  );
  return new Set(rows.map((r) => r.name));
}
