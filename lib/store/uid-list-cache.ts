// The uid lists of recently opened folders, kept by this process so that a
// SELECT of a large folder that has not changed does not read every uid again
// (10,000 uids cost Postgres about as much as the rest of SELECT and FETCH
// together). Never trusted on its own: an entry is used only when the Mailbox
// row read in the same statement still has the entry's uidNext and message
// count. Uids are allocated from uidNext and never reused, and lib/store keeps
// messageCount in the same transaction as each change, so equal values mean
// the same uids (the argument readMailboxView already makes for a session's
// own list). Another instance simply has its own entries; nothing here is
// state it would need.

export type CachedUidList = {
  uidNext: number;
  messageCount: number;
  uids: Int32Array;
};

/** Uids held over all entries; the least recently used entries go first beyond it. */
const MAX_CACHED_UIDS = 2_000_000;
/** Folders smaller than this are cheap to read whole; not worth an entry. */
const MIN_CACHED_UIDS = 256;

const entries = new Map<string, CachedUidList>();
let held = 0;

/** The entry of a folder (by Mailbox id), marking it recently used. */
export function cachedUidList(mailboxId: string): CachedUidList | null {
  const entry = entries.get(mailboxId);
  if (!entry) return null;
  entries.delete(mailboxId);
  entries.set(mailboxId, entry);
  return entry;
}

/** Keeps the uid list read with the folder's uidNext and count (one snapshot). */
export function rememberUidList(
  mailboxId: string,
  uidNext: number,
  messageCount: number,
  uids: number[],
): void {
  forgetUidList(mailboxId);
  if (uids.length !== messageCount || uids.length < MIN_CACHED_UIDS) return;
  if (uids.length > MAX_CACHED_UIDS) return;
  entries.set(mailboxId, { uidNext, messageCount, uids: Int32Array.from(uids) });
  held += uids.length;
  for (const [id, entry] of entries) {
    if (held <= MAX_CACHED_UIDS) break;
    entries.delete(id);
    held -= entry.uids.length;
  }
}

function forgetUidList(mailboxId: string): void {
  const entry = entries.get(mailboxId);
  if (!entry) return;
  entries.delete(mailboxId);
  held -= entry.uids.length;
}

/** Folder ids by account and IMAP name, as last opened: only a candidate, checked by id. */
const names = new Map<string, string>();
const MAX_NAMES = 100_000;

export function uidListIdForName(accountId: string, name: string): string | null {
  return names.get(`${accountId}\u0000${name}`) ?? null;
}

export function rememberUidListName(accountId: string, name: string, mailboxId: string): void {
  const key = `${accountId}\u0000${name}`;
  names.delete(key);
  names.set(key, mailboxId);
  if (names.size > MAX_NAMES) names.delete(names.keys().next().value!);
}
