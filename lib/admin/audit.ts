// The admin audit log: every change made from the dashboard or the admin CLI
// is recorded with who, what, when and from where. Rows are never updated.
import { db } from "../db.ts";
import { assertStorableText } from "../validation/storable-text.ts";

export type AuditEntry = {
  /** The acting admin's account id; null for the command line. */
  actorId: string | null;
  /** The acting admin's address, kept even if the account is later deleted. */
  actor: string;
  /** A stable dotted name, e.g. "account.disable", "domain.create". */
  action: string;
  /** What was acted on, e.g. an address or a domain name. */
  target?: string;
  details?: Record<string, unknown>;
  ip?: string;
};

export async function recordAudit(entry: AuditEntry): Promise<void> {
  await db.auditLog.create({
    data: {
      actorId: entry.actorId,
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? "",
      details: (entry.details ?? {}) as object,
      ip: entry.ip ?? "",
    },
  });
}

export type AuditFilter = {
  /** Exact action or a prefix ending in "." ("account." matches all account actions). */
  action?: string;
  /** Substring of the actor's address. */
  actor?: string;
  /** Substring of the target. */
  target?: string;
  /** Keyset page: entries strictly older than this id. */
  before?: string;
  limit?: number;
};

export const AUDIT_PAGE_SIZE = 50;

export async function listAuditLog(filter: AuditFilter = {}) {
  const limit = Math.min(Math.max(filter.limit ?? AUDIT_PAGE_SIZE, 1), 200);
  const action = filter.action?.trim();
  for (const value of [filter.action, filter.actor, filter.target]) {
    if (value) assertStorableText(value);
  }
  const rows = await db.auditLog.findMany({
    where: {
      ...(action ? (action.endsWith(".") ? { action: { startsWith: action } } : { action }) : {}),
      ...(filter.actor?.trim() ? { actor: { contains: filter.actor.trim().toLowerCase() } } : {}),
      ...(filter.target?.trim()
        ? { target: { contains: filter.target.trim(), mode: "insensitive" as const } }
        : {}),
      // ids are UUIDv7: ordering by id is ordering by creation time.
      ...(filter.before ? { id: { lt: filter.before } } : {}),
    },
    orderBy: { id: "desc" },
    take: limit + 1,
  });
  return {
    entries: rows.slice(0, limit),
    nextBefore: rows.length > limit ? rows[limit - 1]!.id : null,
  };
}
