// Hosted domains as admins manage them (dashboard and CLI): add one (with
// its DKIM key), signup on or off, the catch-all, removal, and the DNS
// records each domain needs published.
import { db, Prisma } from "../db.ts";
import { UserError } from "../errors.ts";
import { loadConfig } from "../config/index.ts";
import { dkimDnsRecord, ensureDkimKey } from "../dkim/keys.ts";
import { isValidDomainName, localPartProblem, normalizeAddress } from "./address.ts";
import { findHostedDomain } from "./domains.ts";

export type DomainRow = {
  id: string;
  name: string;
  signupEnabled: boolean;
  catchAllTarget: string | null;
  dkimSelector: string | null;
  dkimPublicKey: string | null;
  createdAt: Date;
  accounts: number;
  aliases: number;
};

/** Hosted domains with their counts; a domain without a DKIM key gets one now. */
export async function listHostedDomains(): Promise<DomainRow[]> {
  const rows = await db.domain.findMany({
    where: { hosted: true },
    orderBy: { name: "asc" },
    select: {
      id: true,
      name: true,
      signupEnabled: true,
      catchAllTarget: true,
      dkimSelector: true,
      dkimPublicKey: true,
      createdAt: true,
      _count: { select: { accounts: true, aliases: true } },
    },
  });
  return Promise.all(
    rows.map(async ({ _count, ...row }) => {
      const key = row.dkimSelector ? null : await ensureDkimKey(row.name);
      return {
        ...row,
        ...(key ? { dkimSelector: key.selector, dkimPublicKey: key.publicKey } : {}),
        accounts: _count.accounts,
        aliases: _count.aliases,
      };
    }),
  );
}

function domainNameOrThrow(input: string): string {
  const name = normalizeAddress(input).replace(/\.$/, "");
  if (!isValidDomainName(name)) {
    throw new UserError("invalid_input", `"${input.trim()}" is not a domain name.`, "domain");
  }
  return name;
}

async function hostedDomainOrThrow(name: string) {
  const domain = await findHostedDomain(name);
  if (!domain) throw new UserError("not_found", `${name} is not hosted here.`, "domain");
  return domain;
}

/** Hosts a new domain and makes its DKIM key. Refuses one already hosted. */
export async function addHostedDomain(
  input: string,
  options: { signupEnabled?: boolean } = {},
): Promise<{ name: string }> {
  const name = domainNameOrThrow(input);
  const existing = await db.domain.findUnique({ where: { name } });
  if (existing?.hosted)
    throw new UserError("invalid_input", `${name} is hosted already.`, "domain");
  try {
    await db.domain.upsert({
      where: { name },
      create: { name, hosted: true, signupEnabled: options.signupEnabled ?? false },
      update: { hosted: true },
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new UserError("invalid_input", `${name} is hosted already.`, "domain");
    }
    throw error;
  }
  await ensureDkimKey(name);
  return { name };
}

export async function setDomainSignup(name: string, signupEnabled: boolean): Promise<void> {
  const domain = await hostedDomainOrThrow(name);
  await db.domain.update({ where: { id: domain.id }, data: { signupEnabled } });
}

/**
 * Sets the local part on the same domain (an account or alias) that receives
 * mail for unknown addresses; null or "" turns the catch-all off.
 */
export async function setDomainCatchAll(name: string, target: string | null): Promise<void> {
  const domain = await hostedDomainOrThrow(name);
  let localPart = target ? normalizeAddress(target) : "";
  // Accept a full address on this domain as well as a bare local part.
  if (localPart.endsWith(`@${domain.name}`))
    localPart = localPart.slice(0, -domain.name.length - 1);
  if (localPart) {
    const problem = localPartProblem(localPart);
    if (problem) throw new UserError("invalid_input", problem, "catchAll");
    const address = `${localPart}@${domain.name}`;
    const [account, alias] = await Promise.all([
      db.account.findUnique({ where: { address }, select: { id: true } }),
      db.alias.findUnique({ where: { address }, select: { id: true } }),
    ]);
    if (!account && !alias) {
      throw new UserError("not_found", `No account or alias ${address} to receive it.`, "catchAll");
    }
  }
  await db.domain.update({
    where: { id: domain.id },
    data: { catchAllTarget: localPart || null },
  });
}

/**
 * Stops hosting the domain. Refused while accounts or aliases use it (the
 * foreign keys refuse it too, should one be created meanwhile), and for the
 * service's own domain (MAIL_DOMAIN), which every start re-creates.
 */
export async function removeHostedDomain(name: string): Promise<void> {
  const domain = await hostedDomainOrThrow(name);
  if (domain.name === loadConfig().mailDomain) {
    throw new UserError("forbidden", `${domain.name} is the service's own domain (MAIL_DOMAIN).`);
  }
  const refused = (accounts: number, aliases: number) =>
    new UserError(
      "forbidden",
      `${domain.name} still has ${accounts} account(s) and ${aliases} alias(es) or list(s): delete or move them first.`,
    );
  const [accounts, aliases] = await Promise.all([
    db.account.count({ where: { domainId: domain.id } }),
    db.alias.count({ where: { domainId: domain.id } }),
  ]);
  if (accounts > 0 || aliases > 0) throw refused(accounts, aliases);
  try {
    await db.domain.delete({ where: { id: domain.id } });
  } catch (error) {
    // P2003: an account or alias arrived since the count (Restrict foreign key).
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2003") {
      throw refused(
        await db.account.count({ where: { domainId: domain.id } }),
        await db.alias.count({ where: { domainId: domain.id } }),
      );
    }
    throw error;
  }
}

export type DnsRecord = { type: "MX" | "TXT"; name: string; value: string; purpose: string };

/**
 * The records to publish for a hosted domain: MX to this service's hostname,
 * SPF allowing only the MX hosts, the DKIM key's TXT record, and DMARC
 * asking receivers to quarantine mail that fails both, with aggregate
 * reports to the domain's postmaster.
 */
export function domainDnsRecords(
  domain: { name: string; dkimSelector: string | null; dkimPublicKey: string | null },
  hostname = loadConfig().hostname,
): DnsRecord[] {
  const records: DnsRecord[] = [
    {
      type: "MX",
      name: domain.name,
      value: `10 ${hostname}.`,
      purpose: "Mail for the domain comes here",
    },
    // RFC 7208: only the hosts named by MX send for the domain; -all fails the rest.
    { type: "TXT", name: domain.name, value: "v=spf1 mx -all", purpose: "SPF: who may send" },
  ];
  if (domain.dkimSelector && domain.dkimPublicKey) {
    const dkim = dkimDnsRecord({
      domain: domain.name,
      selector: domain.dkimSelector,
      publicKey: domain.dkimPublicKey,
    });
    records.push({ type: "TXT", ...dkim, purpose: "DKIM: the signing key" });
  }
  // RFC 7489 §6.3.
  records.push({
    type: "TXT",
    name: `_dmarc.${domain.name}`,
    value: `v=DMARC1; p=quarantine; rua=mailto:postmaster@${domain.name}`,
    purpose: "DMARC: what receivers do with mail that fails",
  });
  return records;
}
