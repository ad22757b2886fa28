// Preview lines (Message.snippet) are made once, when a copy is stored, by
// lib/mime/parse-message.ts. When that rule changes, mail already stored
// keeps the line the old rule made: this makes them again from the stored
// sources (`npm run admin -- refresh-previews`). Only the snippet changes:
// no flag, folder or modseq, so no client needs to hear of it, and running
// it twice changes nothing the second time.
import { db } from "../db.ts";
import { parseMessage } from "../mime/parse-message.ts";

// Sources read per step: each is parsed in memory, one at a time.
const SOURCES_PER_STEP = 100;

/** Postgres text cannot hold NUL (deliver.ts drops it from snippets the same way). */
const withoutNul = (value: string) => value.replaceAll("\u0000", "");

/**
 * Makes every account's preview lines again from their sources; returns how
 * many copies changed. Walks each account's sources by the (accountId,
 * sourceSha256) index, so it can run beside live traffic.
 */
export async function refreshPreviews(
  onProgress: (done: { sources: number; changed: number }) => void = () => {},
): Promise<{ sources: number; changed: number }> {
  const total = { sources: 0, changed: 0 };
  const accounts = await db.account.findMany({ select: { id: true }, orderBy: { id: "asc" } });
  for (const { id: accountId } of accounts) {
    let after = "";
    for (;;) {
      const batch = await db.$queryRaw<{ sha: string }[]>`
        SELECT DISTINCT "sourceSha256" AS "sha" FROM "Message"
        WHERE "accountId" = ${accountId}::uuid AND "sourceSha256" > ${after}
        ORDER BY 1 LIMIT ${SOURCES_PER_STEP}`;
      if (batch.length === 0) break;
      after = batch[batch.length - 1]!.sha;
      const shas: string[] = [];
      const snippets: string[] = [];
      for (const { sha } of batch) {
        const source = await db.messageSource.findUnique({
          where: { sha256: sha },
          select: { raw: true },
        });
        if (!source) continue;
        // A source mailparser cannot read keeps the line it has.
        const parsed = await parseMessage(Buffer.from(source.raw)).catch(() => null);
        if (!parsed) continue;
        shas.push(sha);
        snippets.push(withoutNul(parsed.snippet));
      }
      total.sources += batch.length;
      total.changed += await db.$executeRaw`
        UPDATE "Message" m SET "snippet" = v."snippet"
        FROM unnest(${shas}::text[], ${snippets}::text[]) AS v("sha", "snippet")
        WHERE m."accountId" = ${accountId}::uuid AND m."sourceSha256" = v."sha"
          AND m."snippet" IS DISTINCT FROM v."snippet"`;
      onProgress(total);
    }
  }
  return total;
}
