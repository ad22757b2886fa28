// The classifier's counts in Postgres: `SpamToken` (per account, keyed by
// accountId first, the sharding rule) and `SpamServiceToken` (the
// service-wide model, its own table). Feature 0 of each holds the model's
// trained message counts. Plain SQL over the shared pg pool: the MX reads
// here for every copy, and a Prisma raw query costs more CPU (lib/db.ts).
import { pgPool } from "../../db.ts";
import { sql, type Sql, type SqlClient } from "../../db/sql.ts";
import { DEFAULT_PARAMS, type ModelCounts, type TokenCounts } from "./combine.ts";
import { MESSAGE_COUNT_TOKEN } from "./tokenize.ts";

export type Models = { user: ModelCounts; service: ModelCounts };

/** Adds spam/ham counts per feature; negative deltas untrain (never below 0). */
export type TokenDeltas = Map<number, TokenCounts>;

/**
 * Adds one message's change to `deltas`: its features and the message count
 * (feature 0) move by `spam` and `ham` (+1 to train, -1 to untrain).
 */
export function addMessageDeltas(
  deltas: TokenDeltas,
  features: readonly number[],
  spam: number,
  ham: number,
): void {
  for (const token of [MESSAGE_COUNT_TOKEN, ...features]) {
    const d = deltas.get(token) ?? { spam: 0, ham: 0 };
    d.spam += spam;
    d.ham += ham;
    deltas.set(token, d);
  }
}

function emptyModel(): ModelCounts {
  return { spamMessages: 0, hamMessages: 0, tokens: new Map() };
}

/**
 * A SQL condition, true when classify could judge mail for the account that
 * `accountId` (a SQL expression) names: its own model or the service's was
 * taught enough messages of each kind (DEFAULT_PARAMS.minTrainedEach).
 * While neither was, scoring a copy would tokenize it and read counts only
 * to return no opinion: the MX reads this with the recipient lookup it makes
 * anyway (lib/delivery/resolve-recipient.ts) and skips that work.
 */
export function modelReadySql(accountId: Sql): Sql {
  const min = DEFAULT_PARAMS.minTrainedEach;
  return sql`(EXISTS (SELECT 1 FROM "SpamToken" t WHERE t."accountId" = ${accountId}
      AND t."token" = ${MESSAGE_COUNT_TOKEN}::int8 AND t."spam" >= ${min}::int AND t."ham" >= ${min}::int)
    OR EXISTS (SELECT 1 FROM "SpamServiceToken" t WHERE t."token" = ${MESSAGE_COUNT_TOKEN}::int8
      AND t."spam" >= ${min}::int AND t."ham" >= ${min}::int))`;
}

/** The account's and the service's counts of `features`, in one statement. */
export async function loadModels(accountId: string, features: readonly number[]): Promise<Models> {
  const asked = [MESSAGE_COUNT_TOKEN, ...features];
  const { rows } = await pgPool().query<{ m: number; token: number; spam: number; ham: number }>({
    name: "spam-load-models",
    // float8 holds the 52-bit hashes exactly and pg returns it as a number.
    text: `SELECT 0 AS m, "token"::float8 AS "token", "spam", "ham" FROM "SpamToken"
             WHERE "accountId" = $1::uuid AND "token" = ANY($2::int8[])
           UNION ALL
           SELECT 1, "token"::float8, "spam", "ham" FROM "SpamServiceToken" WHERE "token" = ANY($2::int8[])`,
    values: [accountId, asked],
  });
  const models: Models = { user: emptyModel(), service: emptyModel() };
  for (const row of rows) {
    const model = row.m === 0 ? models.user : models.service;
    const counts = { spam: Math.max(0, row.spam), ham: Math.max(0, row.ham) };
    if (row.token === MESSAGE_COUNT_TOKEN) {
      model.spamMessages = counts.spam;
      model.hamMessages = counts.ham;
    } else model.tokens.set(row.token, counts);
  }
  return models;
}

/**
 * Applies summed deltas to the account's model and to the service's, in the
 * caller's transaction: one multi-row upsert per table. Rows are written in
 * feature order, so two trainings that share features lock them in the same
 * order and cannot deadlock. Counts that fall to zero on both sides are
 * deleted, so untraining leaves no dead rows.
 */
export async function applyTokenDeltas(
  client: SqlClient,
  accountId: string,
  deltas: TokenDeltas,
): Promise<void> {
  const entries = [...deltas].filter(([, d]) => d.spam !== 0 || d.ham !== 0);
  if (entries.length === 0) return;
  entries.sort((a, b) => a[0] - b[0]);
  const tokens = entries.map(([t]) => t);
  const spam = entries.map(([, d]) => d.spam);
  const ham = entries.map(([, d]) => d.ham);
  const values = [tokens, spam, ham];
  // A new row takes the delta as it is; only untraining a feature that was
  // never trained (a state training never leaves) could make it negative,
  // and readers clamp at 0.
  await client.query({
    name: "spam-apply-account",
    text: `INSERT INTO "SpamToken" ("accountId", "token", "spam", "ham")
           SELECT $1::uuid, v.t, v.s, v.h FROM unnest($2::int8[], $3::int[], $4::int[]) WITH ORDINALITY AS v(t, s, h, o)
           ORDER BY v.o
           ON CONFLICT ("accountId", "token") DO UPDATE SET
             "spam" = GREATEST(0, "SpamToken"."spam" + EXCLUDED."spam"),
             "ham" = GREATEST(0, "SpamToken"."ham" + EXCLUDED."ham")`,
    values: [accountId, ...values],
  });
  await client.query({
    name: "spam-apply-service",
    text: `INSERT INTO "SpamServiceToken" ("token", "spam", "ham")
           SELECT v.t, v.s, v.h FROM unnest($1::int8[], $2::int[], $3::int[]) WITH ORDINALITY AS v(t, s, h, o)
           ORDER BY v.o
           ON CONFLICT ("token") DO UPDATE SET
             "spam" = GREATEST(0, "SpamServiceToken"."spam" + EXCLUDED."spam"),
             "ham" = GREATEST(0, "SpamServiceToken"."ham" + EXCLUDED."ham")`,
    values,
  });
  const untrained = entries.filter(
    ([t, d]) => t !== MESSAGE_COUNT_TOKEN && (d.spam < 0 || d.ham < 0),
  );
  if (untrained.length === 0) return;
  const gone = untrained.map(([t]) => t);
  await client.query({
    name: "spam-prune-account",
    text: `DELETE FROM "SpamToken" WHERE "accountId" = $1::uuid AND "token" = ANY($2::int8[]) AND "spam" <= 0 AND "ham" <= 0`,
    values: [accountId, gone],
  });
  await client.query({
    name: "spam-prune-service",
    text: `DELETE FROM "SpamServiceToken" WHERE "token" = ANY($1::int8[]) AND "spam" <= 0 AND "ham" <= 0`,
    values: [gone],
  });
}
