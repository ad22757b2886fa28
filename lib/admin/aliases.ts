// Aliases and mailing lists as admins manage them: list/search, create, edit
// targets or members, members-only posting, delete. How mail to them is
// resolved lives in lib/delivery/resolve-recipient.ts; this module keeps the
// rows it reads valid: addresses on hosted domains, never an account's
// address, targets that are real addresses (local ones naming someone).
import { MAX_ALIAS_EXPANSION } from "../config/limits.ts";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { Prisma } from "../generated/prisma/client.ts";
import {
  localPartProblem,
  normalizeAddress,
  splitAddress,
  stripSubaddress,
} from "../accounts/address.ts";
import { assertStorableText } from "../validation/storable-text.ts";

export type AliasKindName = "alias" | "list";

export type AliasSummary = {
  id: string;
  address: string;
  kind: AliasKindName;
  owner: string | null;
  membersOnly: boolean;
  targets: string[];
  createdAt: Date;
};

export type AliasInput = {
  address: string;
  kind: AliasKindName;
  /** Address of the account allowed to send as the alias; empty for none. */
  owner: string;
  /** Lists only: refuse posts from non-members. */
  membersOnly: boolean;
  /** Local and external addresses; duplicates are dropped. */
  targets: string[];
};

export const ALIAS_PAGE_SIZE = 50;
/** Targets one alias row may have (its expansion is capped at MAX_ALIAS_EXPANSION anyway). */
export const MAX_ALIAS_TARGETS = MAX_ALIAS_EXPANSION;

// RFC 5322 §3.2.3 dot-atom text: what an external target's local part may be
// (no quoted strings, spaces or angle brackets that would break the envelope).
const ATOM_LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

const summarySelect = {
  id: true,
  address: true,
  kind: true,
  membersOnly: true,
  createdAt: true,
  owner: { select: { address: true } },
  targets: { select: { address: true }, orderBy: { address: "asc" } },
} as const;

type SummaryRow = Prisma.AliasGetPayload<{ select: typeof summarySelect }>;

function toSummary(row: SummaryRow): AliasSummary {
  return {
    id: row.id,
    address: row.address,
    kind: row.kind === "LIST" ? "list" : "alias",
    owner: row.owner?.address ?? null,
    membersOnly: row.membersOnly,
    targets: row.targets.map((t) => t.address),
    createdAt: row.createdAt,
  };
}

/** Aliases and lists whose address or a target contains `search`, by address, offset-paged. */
export async function listAliases(filter: {
  search?: string;
  kind?: AliasKindName;
  page?: number;
}) {
  const search = filter.search?.trim().toLowerCase();
  if (search) assertStorableText(search, "q");
  const where: Prisma.AliasWhereInput = {
    ...(filter.kind ? { kind: filter.kind === "list" ? "LIST" : "ALIAS" } : {}),
    ...(search
      ? {
          OR: [
            { address: { contains: search } },
            { targets: { some: { address: { contains: search } } } },
          ],
        }
      : {}),
  };
  const page = Math.max(1, Math.floor(filter.page ?? 1));
  const [total, rows] = await Promise.all([
    db.alias.count({ where }),
    db.alias.findMany({
      where,
      orderBy: { address: "asc" },
      skip: (page - 1) * ALIAS_PAGE_SIZE,
      take: ALIAS_PAGE_SIZE,
      select: summarySelect,
    }),
  ]);
  return { total, page, pageSize: ALIAS_PAGE_SIZE, aliases: rows.map(toSummary) };
}

export async function getAliasOrThrow(id: string): Promise<AliasSummary> {
  const row = await db.alias.findUnique({ where: { id }, select: summarySelect });
  if (!row) throw new UserError("not_found", "That alias or list no longer exists.");
  return toSummary(row);
}

/** Creates an alias or list; returns it. */
export async function createAlias(input: AliasInput): Promise<AliasSummary> {
  const address = normalizeAddress(input.address);
  const parts = splitAddress(address);
  if (!parts)
    throw new UserError("invalid_input", `${input.address} is not an address.`, "address");
  // Admins may use reserved names (postmaster@, abuse@): only the syntax counts.
  const problem = localPartProblem(parts.localPart);
  if (problem) throw new UserError("invalid_input", problem, "address");
  try {
    return await db.$transaction(async (tx) => {
      const domain = await tx.domain.findFirst({
        where: { name: parts.domain, hosted: true },
        select: { id: true },
      });
      if (!domain) {
        throw new UserError("domain_not_hosted", `${parts.domain} is not hosted here.`, "address");
      }
      const account = await tx.account.findUnique({ where: { address }, select: { id: true } });
      if (account) {
        throw new UserError("address_taken", `${address} is an account's address.`, "address");
      }
      const fields = await validFields(tx, address, input);
      const row = await tx.alias.create({
        data: {
          address,
          domainId: domain.id,
          kind: input.kind === "list" ? "LIST" : "ALIAS",
          ownerAccountId: fields.ownerAccountId,
          membersOnly: fields.membersOnly,
          targets: { create: fields.targets.map((t) => ({ address: t })) },
        },
        select: summarySelect,
      });
      return toSummary(row);
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new UserError("address_taken", `${address} is already an alias or list.`, "address");
    }
    throw error;
  }
}

/** Replaces an alias's targets, owner and members-only setting (its address and kind stay). */
export async function updateAlias(
  id: string,
  input: Omit<AliasInput, "address" | "kind">,
): Promise<AliasSummary> {
  return db.$transaction(async (tx) => {
    const existing = await tx.alias.findUnique({
      where: { id },
      select: { address: true, kind: true },
    });
    if (!existing) throw new UserError("not_found", "That alias or list no longer exists.");
    const kind: AliasKindName = existing.kind === "LIST" ? "list" : "alias";
    const fields = await validFields(tx, existing.address, { ...input, kind });
    await tx.aliasTarget.deleteMany({ where: { aliasId: id } });
    const row = await tx.alias.update({
      where: { id },
      data: {
        ownerAccountId: fields.ownerAccountId,
        membersOnly: fields.membersOnly,
        targets: { create: fields.targets.map((t) => ({ address: t })) },
      },
      select: summarySelect,
    });
    return toSummary(row);
  });
}

/** Deletes an alias or list; returns its address. Mail to it is refused from then on. */
export async function deleteAlias(id: string): Promise<string> {
  const row = await db.alias.findUnique({ where: { id }, select: { address: true } });
  if (!row) throw new UserError("not_found", "That alias or list no longer exists.");
  // A catch-all naming it would now lead nowhere; it is left for the admin to
  // change on the Domains page (resolve-recipient refuses such mail as unknown).
  await db.alias.deleteMany({ where: { id } });
  return row.address;
}

type Tx = Prisma.TransactionClient;

/**
 * Checks owner and targets: every target a plausible address, a local one
 * (on a hosted domain) naming an account or alias, none the alias itself.
 */
async function validFields(tx: Tx, address: string, input: Omit<AliasInput, "address">) {
  const targets = [...new Set(input.targets.map(normalizeAddress).filter(Boolean))];
  if (targets.length === 0) {
    throw new UserError(
      "invalid_input",
      input.kind === "list" ? "Add at least one member." : "Add at least one target address.",
      "targets",
    );
  }
  if (targets.length > MAX_ALIAS_TARGETS) {
    throw new UserError("invalid_input", `Use at most ${MAX_ALIAS_TARGETS} addresses.`, "targets");
  }
  const parsed = targets.map((t) => ({ target: t, parts: splitAddress(t) }));
  const bad = parsed.find(({ parts }) => !parts || !ATOM_LOCAL_PART.test(parts.localPart));
  if (bad) throw new UserError("invalid_input", `“${bad.target}” is not an address.`, "targets");
  if (targets.includes(address)) {
    throw new UserError("invalid_input", `${address} cannot forward to itself.`, "targets");
  }

  // Local targets must name someone: resolve-recipient silently drops those that do not.
  const domains = [...new Set(parsed.map(({ parts }) => parts!.domain))];
  const hosted = new Set(
    (
      await tx.domain.findMany({
        where: { name: { in: domains }, hosted: true },
        select: { name: true },
      })
    ).map((d) => d.name),
  );
  const local = parsed
    .filter(({ parts }) => hosted.has(parts!.domain))
    .map(({ target, parts }) => ({
      target,
      base: `${stripSubaddress(parts!.localPart)}@${parts!.domain}`,
    }));
  if (local.length > 0) {
    const candidates = local.flatMap((l) => [l.target, l.base]);
    const [accounts, aliases] = await Promise.all([
      tx.account.findMany({ where: { address: { in: candidates } }, select: { address: true } }),
      tx.alias.findMany({ where: { address: { in: candidates } }, select: { address: true } }),
    ]);
    const known = new Set([...accounts, ...aliases].map((r) => r.address));
    const unknown = local.find((l) => !known.has(l.target) && !known.has(l.base));
    if (unknown) {
      throw new UserError(
        "not_found",
        `${unknown.target} is on a domain hosted here but names no account, alias or list.`,
        "targets",
      );
    }
  }

  let ownerAccountId: string | null = null;
  const owner = normalizeAddress(input.owner);
  if (owner) {
    const account = splitAddress(owner)
      ? await tx.account.findUnique({ where: { address: owner }, select: { id: true } })
      : null;
    if (!account) throw new UserError("not_found", `No account ${owner}.`, "owner");
    ownerAccountId = account.id;
  }
  return { targets, ownerAccountId, membersOnly: input.kind === "list" && input.membersOnly };
}
