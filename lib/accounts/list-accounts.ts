// The admin's account list: substring search on address or display name and
// keyset pages ordered by address. Both stay fast with many accounts: the
// search uses the trigram GIN indexes on Account(address) and
// Account(displayName), the paging the unique index on address (no OFFSET).
import { db } from "../db.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { Role } from "../generated/prisma/enums.ts";
import { assertStorableText } from "../validation/storable-text.ts";

export const ACCOUNT_PAGE_SIZE = 50;

export type AccountListFilter = {
  /** Substring of the address or the display name, any case. */
  query?: string;
  /** Keyset page: accounts whose address sorts after this one. */
  after?: string;
  limit?: number;
};

export type AccountListRow = {
  id: string;
  address: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  quotaBytes: bigint;
  usedBytes: bigint;
  createdAt: Date;
  lastLoginAt: Date | null;
  twoStepEnabledAt: Date | null;
};

const ACCOUNT_LIST_FIELDS = {
  id: true,
  address: true,
  displayName: true,
  role: true,
  disabled: true,
  quotaBytes: true,
  usedBytes: true,
  createdAt: true,
  lastLoginAt: true,
  twoStepEnabledAt: true,
} as const;

export async function listAccounts(filter: AccountListFilter = {}) {
  const limit = Math.min(Math.max(filter.limit ?? ACCOUNT_PAGE_SIZE, 1), 200);
  const query = filter.query?.trim().slice(0, 200);
  if (query) assertStorableText(query, "q");
  if (filter.after) assertStorableText(filter.after, "after");
  const where: Prisma.AccountWhereInput = {
    ...(query
      ? {
          OR: [
            { address: { contains: query, mode: "insensitive" } },
            { displayName: { contains: query, mode: "insensitive" } },
          ],
        }
      : {}),
    ...(filter.after ? { address: { gt: filter.after } } : {}),
  };
  const rows: AccountListRow[] = await db.account.findMany({
    where,
    orderBy: { address: "asc" },
    take: limit + 1,
    select: ACCOUNT_LIST_FIELDS,
  });
  return {
    accounts: rows.slice(0, limit),
    nextAfter: rows.length > limit ? rows[limit - 1]!.address : null,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One account for the admin's account page; null for an unknown or malformed id. */
export async function getAccountForAdmin(id: string) {
  if (!UUID.test(id)) return null;
  return db.account.findUnique({
    where: { id },
    select: {
      ...ACCOUNT_LIST_FIELDS,
      _count: { select: { messages: true, ownedAliases: true } },
    },
  });
}
