// Learning from users' marks. A move into Junk, a move out of it (not to
// Trash), and the $Junk / $NotJunk keywords (RFC 5788's registry; what
// Thunderbird and Apple Mail set) say what a message is; lib/store records
// that verdict in the change's own transaction (recordSpamVerdicts), and the
// models learn it afterwards (applyQueuedTraining), so a move never waits on
// the service-wide model's rows.
//
// Once per message: SpamTraining remembers what each message was taught as.
// A new verdict untrains the old one and trains the new, the same verdict
// twice does nothing, so moving back and forth ends with the latest verdict
// counted once.
import type { Tx } from "../db.ts";
import { sql, withTransaction, type Sql, type SqlClient } from "../db/sql.ts";
import { addMessageDeltas, applyTokenDeltas, type TokenDeltas } from "./classifier/token-store.ts";
import { messageTokens } from "./classifier/tokenize.ts";

export type SpamVerdict = "SPAM" | "HAM";

/**
 * What a move says: into Junk is spam; out of Junk into any folder but
 * Trash (or Junk) is "not junk". Deleting junk says nothing.
 */
export function junkMoveVerdict(fromJunk: boolean, targetUse: string | null): SpamVerdict | null {
  if (targetUse === "JUNK") return fromJunk ? null : "SPAM";
  if (fromJunk && targetUse !== "TRASH") return "HAM";
  return null;
}

/**
 * What an IMAP keyword change says (RFC 5788 registry: $Junk, $NotJunk):
 * adding $Junk is spam, adding $NotJunk is ham; a message that ends up
 * with both (a client's half-done change) says nothing.
 */
export function keywordVerdict(before: string[], after: string[]): SpamVerdict | null {
  const has = (list: string[], k: string) => list.some((x) => x.toLowerCase() === k);
  const junk = has(after, "$junk");
  const notJunk = has(after, "$notjunk");
  if (junk && !notJunk && !has(before, "$junk")) return "SPAM";
  if (notJunk && !junk && !has(before, "$notjunk")) return "HAM";
  return null;
}

/** Messages applied per transaction by the sweeper. */
const APPLY_BATCH = 50;

/**
 * Records that the account's messages `ids` are spam or ham, in the
 * caller's transaction (the move or flag change that says so). Returns how
 * many now wait for the models; when it is not 0, call applyQueuedTraining
 * after the commit.
 */
export async function recordSpamVerdicts(
  tx: Tx,
  accountId: string,
  verdicts: { messageId: string; verdict: SpamVerdict }[],
): Promise<number> {
  if (verdicts.length === 0) return 0;
  const { text, values } = spamVerdictsStatement(accountId, verdicts).toQuery();
  const rows = await tx.$queryRawUnsafe<{ n: bigint }[]>(text, ...(values ?? []));
  return Number(rows[0]?.n ?? 0);
}

/** recordSpamVerdicts in a transaction of the plain pg pool (lib/db/sql.ts). */
export async function recordSpamVerdictsWith(
  client: SqlClient,
  accountId: string,
  verdicts: { messageId: string; verdict: SpamVerdict }[],
): Promise<number> {
  if (verdicts.length === 0) return 0;
  const { rows } = await client.query<{ n: string }>(
    spamVerdictsStatement(accountId, verdicts).toQuery(),
  );
  return Number(rows[0]?.n ?? 0);
}

function spamVerdictsStatement(
  accountId: string,
  verdicts: { messageId: string; verdict: SpamVerdict }[],
): Sql {
  return sql`
    WITH v AS (
      SELECT DISTINCT ON (id) id, verdict
      FROM unnest(${verdicts.map((v) => v.messageId)}::uuid[], ${verdicts.map((v) => v.verdict)}::"SpamVerdict"[])
        WITH ORDINALITY AS x(id, verdict, o)
      ORDER BY id, o DESC),
    up AS (
      INSERT INTO "SpamTraining" ("accountId", "messageId", "sourceSha256", "wanted")
      SELECT m."accountId", m."id", m."sourceSha256", v.verdict
      FROM v JOIN "Message" m ON m."accountId" = ${accountId}::uuid AND m."id" = v.id
      ON CONFLICT ("accountId", "messageId") DO UPDATE SET "wanted" = EXCLUDED."wanted", "updatedAt" = now()
        WHERE "SpamTraining"."wanted" <> EXCLUDED."wanted"
      RETURNING "accountId", "messageId", "wanted", "trained"),
    queued AS (
      INSERT INTO "SpamTrainingQueue" ("accountId", "messageId")
      SELECT "accountId", "messageId" FROM up WHERE "trained" IS DISTINCT FROM "wanted"
      ON CONFLICT DO NOTHING
      RETURNING 1)
    SELECT count(*) AS n FROM queued`;
}

/** One batch: claims queue rows, sums their deltas, writes them, marks them trained. */
async function applyBatch(client: SqlClient, accountId: string | null): Promise<number> {
  const { rows } = await client.query<{
    accountId: string;
    messageId: string;
    wanted: SpamVerdict;
    trained: SpamVerdict | null;
    raw: Buffer | null;
  }>({
    text: `WITH claimed AS (
             DELETE FROM "SpamTrainingQueue" q
             WHERE ("accountId", "messageId") IN (
               SELECT "accountId", "messageId" FROM "SpamTrainingQueue"
               WHERE ($1::uuid IS NULL OR "accountId" = $1::uuid)
               ORDER BY "accountId", "queuedAt" LIMIT $2 FOR UPDATE SKIP LOCKED)
             RETURNING q."accountId", q."messageId")
           SELECT t."accountId"::text AS "accountId", t."messageId"::text AS "messageId",
             t."wanted"::text AS "wanted", t."trained"::text AS "trained", s."raw"
           FROM claimed c
           JOIN "SpamTraining" t ON t."accountId" = c."accountId" AND t."messageId" = c."messageId"
           LEFT JOIN "MessageSource" s ON s."sha256" = t."sourceSha256"
           ORDER BY t."accountId", t."messageId"
           FOR UPDATE OF t`,
    values: [accountId, APPLY_BATCH],
  });
  const byAccount = new Map<string, TokenDeltas>();
  const done: { accountId: string; messageId: string; wanted: SpamVerdict }[] = [];
  for (const row of rows) {
    if (row.trained === row.wanted) continue;
    // A source already freed (the message was deleted meanwhile) cannot be
    // read again: what it taught stays, as bogofilter's counts would.
    if (!row.raw) continue;
    const deltas = byAccount.get(row.accountId) ?? new Map();
    byAccount.set(row.accountId, deltas);
    const tokens = messageTokens(row.raw);
    const spam = (row.wanted === "SPAM" ? 1 : 0) - (row.trained === "SPAM" ? 1 : 0);
    const ham = (row.wanted === "HAM" ? 1 : 0) - (row.trained === "HAM" ? 1 : 0);
    addMessageDeltas(deltas, tokens, spam, ham);
    done.push(row);
  }
  for (const [account, deltas] of byAccount) await applyTokenDeltas(client, account, deltas);
  if (done.length > 0)
    await client.query({
      text: `UPDATE "SpamTraining" t SET "trained" = v.w::"SpamVerdict"
             FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS v(a, m, w)
             WHERE t."accountId" = v.a AND t."messageId" = v.m`,
      values: [
        done.map((d) => d.accountId),
        done.map((d) => d.messageId),
        done.map((d) => d.wanted),
      ],
    });
  return rows.length;
}

/**
 * Teaches the models what is queued: the account's rows (right after the
 * change that queued them), or any account's when `accountId` is null (the
 * gateway's sweeper, for rows a crash between commit and apply left). Rows
 * another process is applying are skipped, never applied twice. Returns how
 * many rows were applied.
 */
export async function applyQueuedTraining(accountId: string | null): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await withTransaction((client) => applyBatch(client, accountId));
    total += n;
    if (n < APPLY_BATCH) return total;
  }
}

/**
 * applyQueuedTraining for the account right after a change committed; a
 * failure leaves the rows queued for the gateway's sweeper, never fails
 * the move or flag change that already happened.
 */
export async function trainAfterCommit(accountId: string): Promise<void> {
  await applyQueuedTraining(accountId).catch(() => {});
}
