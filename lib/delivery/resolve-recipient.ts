// Who an envelope recipient is: an account, an alias (local accounts and/or
// external addresses), a mailing list, a role address (postmaster@ and
// abuse@ of every hosted domain: the admins), or someone we refuse, with a
// typed reason. Rules only: no protocol here; mail-gateway/smtp/replies.ts
// turns reasons into SMTP replies.
import { loadConfig } from "../config/index.ts";
import { MAX_ALIAS_DEPTH, MAX_ALIAS_EXPANSION } from "../config/limits.ts";
import {
  isValidDomainName,
  roleOf,
  splitAddress,
  stripSubaddress,
  type RoleLocalPart,
} from "../accounts/address.ts";
import { query, sql } from "../db/sql.ts";
import { modelReadySql } from "../spam/classifier/index.ts";
import { isSrsLocalPart, reverseSrsAddress } from "../relay/srs.ts";

export type RecipientRejection =
  /** Not a domain we host, and the client may not relay (RFC 5321 §3.6.2: no open relays). */
  | "relay_denied"
  /** A hosted domain, but no account, alias or catch-all takes the address. */
  | "unknown_user"
  /** The account exists but is disabled. */
  | "account_disabled"
  /** The account (or an alias target) is already at its quota. */
  | "over_quota"
  /** A members-only list and the envelope sender is not a member. */
  | "not_list_member"
  /** Not an address we can read (quoted local parts, address literals). */
  | "invalid_address";

export type LocalTarget = {
  accountId: string;
  address: string;
  /**
   * The account had an automatic reply switched on at RCPT time. Delivery
   * looks for a reply to send only then, which spares every other message a
   * query (lib/delivery/vacation.ts checks dates and the rest itself).
   */
  autoReply: boolean;
  /**
   * The account had sender lists (lib/spam/sender-lists.ts) at RCPT time.
   * Without any, the verdict pipeline does not ask them for each copy.
   */
  senderLists: boolean;
  /**
   * At RCPT time the built-in classifier could judge this account's mail
   * (its model or the service's was taught enough: modelReadySql). While it
   * cannot, the pipeline does not score the copy (the answer would be "no
   * opinion").
   */
  spamModel: boolean;
};

/** The list a copy reaches its account through: its copies carry List-Id and List-Post (RFC 2919, RFC 2369). */
export type ListInfo = { address: string; listId: string };

export type AcceptedRecipient = {
  ok: true;
  /** The address as given in RCPT TO, lower-cased (a bare "postmaster" gets MAIL_DOMAIN). */
  address: string;
  /** "role": a role address no account or alias takes, delivered to the admins. */
  kind: "account" | "alias" | "list" | "role";
  /** Accounts that get a copy (deduplicated). */
  accounts: LocalTarget[];
  /** Addresses outside our domains, for the outbound queue. */
  external: string[];
  /** Set for kind "list". */
  list: ListInfo | null;
  /**
   * postmaster or abuse, on any hosted domain, however it is routed. RFC
   * 5321 §4.5.1 wants postmaster mail accepted from any system: a rule that
   * refuses senders must let mail to these through.
   */
  role: RoleLocalPart | null;
  /**
   * A role address while no admin can receive (none yet, or all disabled):
   * accepted all the same and kept (HeldMessage) until one can, so that
   * postmaster mail is never lost (held-messages.ts delivers it).
   */
  held: boolean;
};

export type RejectedRecipient = { ok: false; address: string; reason: RecipientRejection };

export type RecipientResolution = AcceptedRecipient | RejectedRecipient;

export type ResolveContext = {
  /** Envelope sender (MAIL FROM), "" for the null reverse-path. */
  mailFrom: string;
};

type AccountRow = {
  id: string;
  address: string;
  disabled: boolean;
  overQuota: boolean;
  autoReply: boolean;
  senderLists: boolean;
  spamModel: boolean;
};
type AliasRow = {
  id: string;
  address: string;
  kind: "ALIAS" | "LIST";
  membersOnly: boolean;
  targets: string[];
};
type Lookup = { catchAll: string | null; account: AccountRow | null; alias: AliasRow | null };

/** An AccountRow's columns from "Account" a. */
const ACCOUNT_COLUMNS = sql`a."id", a."address", a."disabled",
  a."usedBytes" >= a."quotaBytes" AS "overQuota",
  EXISTS (SELECT 1 FROM "VacationResponder" v
    WHERE v."accountId" = a."id" AND v."enabled") AS "autoReply",
  EXISTS (SELECT 1 FROM "SenderListEntry" s WHERE s."accountId" = a."id") AS "senderLists",
  ${modelReadySql(sql`a."id"`)} AS "spamModel"`;

/**
 * Looks up an address on a hosted domain: an account or alias with exactly
 * this address, else with the subaddress removed (RFC 5233: name+tag@domain
 * reaches name@domain). Null when the domain is not hosted.
 */
async function lookupAddress(localPart: string, domain: string): Promise<Lookup | null> {
  const exact = `${localPart}@${domain}`;
  const base = `${stripSubaddress(localPart)}@${domain}`;
  const candidates = exact === base ? [exact] : [exact, base];
  const rows = await query<{
    catchAll: string | null;
    account: AccountRow | null;
    alias: AliasRow | null;
  }>(
    sql`
      SELECT d."catchAllTarget" AS "catchAll",
        (SELECT row_to_json(x) FROM (
          SELECT ${ACCOUNT_COLUMNS}
          FROM "Account" a WHERE a."address" = ANY(${candidates}::text[])
          ORDER BY a."address" = ${exact} DESC LIMIT 1) x) AS "account",
        (SELECT row_to_json(x) FROM (
          SELECT al."id", al."address", al."kind", al."membersOnly",
            ARRAY(SELECT t."address" FROM "AliasTarget" t WHERE t."aliasId" = al."id" ORDER BY t."address") AS "targets"
          FROM "Alias" al WHERE al."address" = ANY(${candidates}::text[])
          ORDER BY al."address" = ${exact} DESC LIMIT 1) x) AS "alias"
      FROM "Domain" d WHERE d."name" = ${domain} AND d."hosted"`,
    "delivery-lookup-address",
  );
  const row = rows[0];
  if (!row) return null;
  // Exact matches win over subaddress-stripped ones, accounts over aliases.
  let { account, alias } = row;
  if (account && alias) {
    if (account.address === exact || alias.address !== exact) alias = null;
    else account = null;
  }
  return { catchAll: row.catchAll, account, alias };
}

/** The RFC 2919 list identifier for a list address: list@example.com -> list.example.com. */
export function listIdFor(address: string): string {
  return address.replace("@", ".");
}

type Expansion = {
  accounts: Map<string, LocalTarget>;
  external: Set<string>;
  /** Local targets left out, to explain an empty expansion. */
  skipped: { disabled: number; overQuota: number };
};

/**
 * Decides an RCPT TO address. Never throws for a bad address (that is a
 * rejection); throws only when the database cannot be asked.
 */
export async function resolveRecipient(
  rawAddress: string,
  context: ResolveContext,
): Promise<RecipientResolution> {
  const given = rawAddress.trim().toLowerCase();
  // RFC 5321 §4.1.1.3 and §4.5.1: "postmaster" without a domain is this
  // server's postmaster, and must be accepted.
  const address = given === "postmaster" ? `postmaster@${loadConfig().mailDomain}` : given;
  const parts = splitAddress(address);
  if (!parts) {
    // Unusable local part (over RFC 5321 §4.5.3.1.1's 64 octets) on a domain
    // we host is a syntax problem; anything else is someone else's domain.
    const domain = address.slice(address.lastIndexOf("@") + 1);
    const hosted =
      isValidDomainName(domain) && (await lookupAddress("postmaster", domain)) !== null;
    return { ok: false, address, reason: hosted ? "invalid_address" : "relay_denied" };
  }
  const role = roleOf(parts.localPart);
  const resolution = await resolveHostedAddress(address, parts, context, role !== null);
  if (!role) return resolution;
  if (resolution.ok) return { ...resolution, role };
  // postmaster@ and abuse@ exist on every hosted domain. An account or alias
  // there that would refuse this mail (disabled, its targets gone, a list
  // for members only, a bounce to a list) hands it to the admins instead;
  // a full mailbox is only a delay (452: the sender keeps the message).
  if (resolution.reason === "relay_denied" || resolution.reason === "over_quota") return resolution;
  return routeToAdmins(address, role);
}

function accepted(
  fields: Pick<AcceptedRecipient, "address" | "kind" | "accounts" | "external"> &
    Partial<AcceptedRecipient>,
): AcceptedRecipient {
  return { ok: true, list: null, role: null, held: false, ...fields };
}

async function resolveHostedAddress(
  address: string,
  parts: { localPart: string; domain: string },
  context: ResolveContext,
  isRole: boolean,
): Promise<RecipientResolution> {
  let found = await lookupAddress(parts.localPart, parts.domain);
  if (!found) return { ok: false, address, reason: "relay_denied" };
  if (!found.account && !found.alias && isSrsLocalPart(parts.localPart)) {
    // A reply (a bounce) to the SRS sender of a forward we made: back to the
    // original sender. Forged or expired SRS addresses are unknown users.
    const original = reverseSrsAddress(address);
    if (!original) return { ok: false, address, reason: "unknown_user" };
    const back = await resolveRecipient(original, context);
    if (back.ok || back.reason !== "relay_denied") return { ...back, address };
    return accepted({ address, kind: "alias", accounts: [], external: [original] });
  }
  // A role address goes to the admins, not to the catch-all: postmaster
  // mail must reach someone who runs the service.
  if (!found.account && !found.alias && found.catchAll && !isRole) {
    // Domain catch-all: an account or alias on the same domain takes unknown
    // local parts. It is looked up like any address, but never recursively.
    const target = await lookupAddress(found.catchAll.toLowerCase(), parts.domain);
    if (target) found = { ...target, catchAll: null };
  }

  if (found.account) {
    const account = found.account;
    if (account.disabled) return { ok: false, address, reason: "account_disabled" };
    if (account.overQuota) return { ok: false, address, reason: "over_quota" };
    return accepted({ address, kind: "account", accounts: [localTarget(account)], external: [] });
  }
  if (!found.alias) return { ok: false, address, reason: "unknown_user" };

  const alias = found.alias;
  const isList = alias.kind === "LIST";
  // Bounces (null reverse-path) are not redistributed to a list's members:
  // a bounce of a list copy would otherwise go round the list forever.
  if (
    isList &&
    (context.mailFrom === "" || (alias.membersOnly && !isMember(alias.targets, context.mailFrom)))
  ) {
    return { ok: false, address, reason: "not_list_member" };
  }
  const expansion: Expansion = {
    accounts: new Map(),
    external: new Set(),
    skipped: { disabled: 0, overQuota: 0 },
  };
  await expand(alias, expansion, new Set([alias.address]), 1);

  // A forwarding alias is all-or-nothing: a full target mailbox defers the
  // whole recipient (4xx, the sender retries) rather than losing that copy.
  // A list skips members who cannot receive, as list servers do.
  if (!isList && expansion.skipped.overQuota > 0)
    return { ok: false, address, reason: "over_quota" };
  if (expansion.accounts.size === 0 && expansion.external.size === 0) {
    const reason = expansion.skipped.overQuota
      ? "over_quota"
      : expansion.skipped.disabled
        ? "account_disabled"
        : "unknown_user";
    return { ok: false, address, reason };
  }
  return accepted({
    address,
    kind: isList ? "list" : "alias",
    accounts: [...expansion.accounts.values()],
    external: [...expansion.external],
    list: isList ? { address: alias.address, listId: listIdFor(alias.address) } : null,
  });
}

/**
 * A role address nothing else takes: a copy for every enabled admin with
 * room. All of them full: 452 (the sender retries). No enabled admin at
 * all: accepted and held for the first one.
 */
async function routeToAdmins(address: string, role: RoleLocalPart): Promise<RecipientResolution> {
  const admins = await query<AccountRow>(
    sql`SELECT ${ACCOUNT_COLUMNS} FROM "Account" a
      WHERE a."role" = 'ADMIN' AND NOT a."disabled" ORDER BY a."address"`,
    "delivery-role-admins",
  );
  const room = admins.filter((a) => !a.overQuota);
  if (admins.length > 0 && room.length === 0) return { ok: false, address, reason: "over_quota" };
  return accepted({
    address,
    kind: "role",
    accounts: room.map(localTarget),
    external: [],
    role,
    held: room.length === 0,
  });
}

/**
 * Follows alias targets depth-first. `visited` holds the aliases on the
 * current path and already expanded: an alias reached twice (a -> b -> a)
 * contributes once, so loops end instead of multiplying copies.
 */
async function expand(
  alias: AliasRow,
  out: Expansion,
  visited: Set<string>,
  depth: number,
): Promise<void> {
  for (const target of alias.targets) {
    if (out.accounts.size + out.external.size >= MAX_ALIAS_EXPANSION) return;
    const parts = splitAddress(target);
    if (!parts) continue;
    const found = await lookupAddress(parts.localPart, parts.domain);
    if (!found) {
      out.external.add(target);
      continue;
    }
    if (found.account) {
      if (found.account.disabled) out.skipped.disabled++;
      else if (found.account.overQuota) out.skipped.overQuota++;
      else out.accounts.set(found.account.id, localTarget(found.account));
      continue;
    }
    if (found.alias && !visited.has(found.alias.address) && depth < MAX_ALIAS_DEPTH) {
      visited.add(found.alias.address);
      await expand(found.alias, out, visited, depth + 1);
    }
    // A target on a hosted domain that names nobody is dropped: the alias
    // still reaches its other targets. (An admin tool should flag it.)
  }
}

function localTarget(account: AccountRow): LocalTarget {
  return {
    accountId: account.id,
    address: account.address,
    autoReply: account.autoReply,
    senderLists: account.senderLists,
    spamModel: account.spamModel,
  };
}

function isMember(targets: string[], sender: string): boolean {
  const parts = splitAddress(sender);
  if (!parts) return false;
  const full = `${parts.localPart}@${parts.domain}`;
  const base = `${stripSubaddress(parts.localPart)}@${parts.domain}`;
  return targets.includes(full) || targets.includes(base);
}
