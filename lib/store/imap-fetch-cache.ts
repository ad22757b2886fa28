// The IMAP FETCH cache of a stored source (MessageSource.imapEnvelope and
// imapBodyStructure): the gateway computes ENVELOPE and BODYSTRUCTURE from
// the bytes the first time a client asks and keeps the encoded values here,
// so later FETCHes, by any session or gateway instance, read neither the
// source nor its MIME tree. The values depend only on the bytes, which never
// change for a sha256, so a filled value is never written again.
import { query, sql } from "../db/sql.ts";

export type ImapFetchCacheEntry = {
  sourceSha256: string;
  envelope: Buffer | null;
  bodyStructure: Buffer | null;
};

/**
 * Fills the values still empty. Rows another transaction holds (a second
 * session filling the same source, a source being deleted) are skipped: the
 * cache is only an optimisation, and skipping never waits or deadlocks. The
 * lock is NO KEY UPDATE, which a delivery's foreign-key check on the same
 * source (KEY SHARE) does not wait for.
 */
export async function fillImapFetchCache(entries: ImapFetchCacheEntry[]): Promise<void> {
  const unique = new Map<string, ImapFetchCacheEntry>();
  for (const entry of entries)
    if (entry.envelope || entry.bodyStructure) unique.set(entry.sourceSha256, entry);
  if (unique.size === 0) return;
  const list = [...unique.values()];
  await query(
    sql`WITH v AS (
        SELECT * FROM unnest(${list.map((e) => e.sourceSha256)}::text[],
          ${list.map((e) => e.envelope)}::bytea[], ${list.map((e) => e.bodyStructure)}::bytea[])
          AS v("sha256", "envelope", "bodyStructure")
      ), claimed AS (
        SELECT s."sha256" FROM "MessageSource" s JOIN v ON v."sha256" = s."sha256"
        WHERE (s."imapEnvelope" IS NULL AND v."envelope" IS NOT NULL)
          OR (s."imapBodyStructure" IS NULL AND v."bodyStructure" IS NOT NULL)
        ORDER BY s."sha256" FOR NO KEY UPDATE OF s SKIP LOCKED
      )
      UPDATE "MessageSource" s SET
        "imapEnvelope" = COALESCE(s."imapEnvelope", v."envelope"),
        "imapBodyStructure" = COALESCE(s."imapBodyStructure", v."bodyStructure")
      FROM v JOIN claimed c ON c."sha256" = v."sha256"
      WHERE s."sha256" = v."sha256"`,
  );
}
