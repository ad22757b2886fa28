// The classifier's counts in Postgres: `SpamToken` (per account, keyed by
// accountId first, the sharding rule) and `SpamServiceToken` (the
// service-wide model, its own table). Feature 0 of each holds the model's
// trained message counts, its version and its generation (schema.prisma).
// Plain SQL over the shared pg pool: the MX reads here for every copy, and
// a Prisma raw query costs more CPU (lib/db.ts).
//
// The MX scores every copy against both models, so each gateway keeps
// them in memory, and Postgres stays the truth: every read asks, in one
// statement, for each model's feature-0 row and the rows changed since
// the version the copy holds, and applies them before judging. Several
// gateways share the database; what one's users train, the others read
// with their next message. A generation other than the copy's (rows were
// pruned, or the model was deleted and made anew) drops the copy, which
// is then read whole. The copies are bounded (MAX_CACHED_SLOTS), least
// recently used account models leave first.
import { pgPool } from "../../db.ts";
import { sql, type Sql, type SqlClient } from "../../db/sql.ts";
import { DEFAULT_PARAMS, type ModelCounts, type TokenCounts } from "./combine.ts";
import { TokenTable } from "./token-table.ts";
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

/** A model as this process holds it, at `version` of `generation`. */
type CachedModel = {
  generation: number | null;
  version: number;
  spamMessages: number;
  hamMessages: number;
  tokens: TokenTable;
};

/** Table slots (16 bytes each) all held models may take: 8M is 128 MiB. */
const MAX_CACHED_SLOTS = Number(process.env.SPAM_MODEL_CACHE_SLOTS ?? 8 * 1024 * 1024);
/** No version reaches this: a copy that asks for changes above it gets none. */
const NO_CHANGES = Number.MAX_SAFE_INTEGER;

let serviceModel: CachedModel | null = null;
/** Account models, least recently used first (a Map keeps insertion order). */
const accountModels = new Map<string, CachedModel>();

/** Forgets every held model (tests that rewrite the tables behind the store's back). */
export function forgetCachedModels(): void {
  serviceModel = null;
  accountModels.clear();
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

type ModelRow = {
  m: number;
  token: number;
  spam: number;
  ham: number;
  changed: number;
  generation: number | null;
};

/**
 * Brings a held model to what the rows say: false when its generation
 * moved (or it was deleted), so it must be read whole.
 */
function catchUp(model: CachedModel, rows: ModelRow[]): boolean {
  const head = rows.find((r) => r.token === MESSAGE_COUNT_TOKEN);
  if ((head?.generation ?? null) !== model.generation) return false;
  const version = head?.changed ?? 0;
  // A concurrent read already brought it further: its rows are newer.
  if (version <= model.version) return true;
  for (const row of rows) {
    if (row.token === MESSAGE_COUNT_TOKEN) {
      model.spamMessages = Math.max(0, row.spam);
      model.hamMessages = Math.max(0, row.ham);
    } else model.tokens.set(row.token, row.spam, row.ham);
  }
  model.version = version;
  return true;
}

/**
 * A whole model in one statement (one snapshot): its feature-0 row, then
 * its other rows packed into byteas, one per 1/256 of the hash space (so
 * no reply row is tens of megabytes).
 */
async function readWhole(accountId: string | null): Promise<CachedModel> {
  const table = accountId === null ? `"SpamServiceToken"` : `"SpamToken"`;
  const mine = accountId === null ? "" : `"accountId" = $1::uuid AND `;
  const { rows } = await pgPool().query<{
    token: number;
    changed: number;
    generation: number | null;
    spam: number;
    ham: number;
    packed: Buffer | null;
  }>({
    name: accountId === null ? "spam-read-service-model" : "spam-read-account-model",
    text: `SELECT 0::float8 AS "token", "changed"::float8 AS "changed", "generation"::float8 AS "generation", "spam", "ham", NULL::bytea AS "packed"
             FROM ${table} WHERE ${mine}"token" = 0
           UNION ALL
           SELECT 1, 0, NULL, 0, 0, string_agg(int8send("token") || int4send("spam") || int4send("ham"), ''::bytea)
             FROM ${table} WHERE ${mine}"token" <> 0 AND ("spam" > 0 OR "ham" > 0)
             GROUP BY "token" >> 44`,
    values: accountId === null ? [] : [accountId],
  });
  const head = rows.find((r) => r.token === MESSAGE_COUNT_TOKEN);
  return {
    generation: head?.generation ?? null,
    version: head?.changed ?? 0,
    spamMessages: Math.max(0, head?.spam ?? 0),
    hamMessages: Math.max(0, head?.ham ?? 0),
    tokens: TokenTable.fromPacked(rows.flatMap((r) => (r.packed ? [r.packed] : []))),
  };
}

/** Keeps the held models within MAX_CACHED_SLOTS, dropping the least recently used accounts. */
function evict(keep: string): void {
  let slots = serviceModel?.tokens.capacity ?? 0;
  for (const model of accountModels.values()) slots += model.tokens.capacity;
  for (const [id, model] of accountModels) {
    if (slots <= MAX_CACHED_SLOTS) break;
    if (id === keep) continue;
    accountModels.delete(id);
    slots -= model.tokens.capacity;
  }
  if (slots > MAX_CACHED_SLOTS && serviceModel) serviceModel = null;
}

function view(model: CachedModel): ModelCounts {
  return {
    spamMessages: model.spamMessages,
    hamMessages: model.hamMessages,
    tokens: model.tokens,
  };
}

/**
 * The account's and the service's models as Postgres holds them now: one
 * statement reads what changed since the held copies (and their feature-0
 * rows, which say whether the copies still hold); a model not held, or of
 * another generation, is read whole first.
 */
export async function loadModels(accountId: string): Promise<Models> {
  let user = accountModels.get(accountId) ?? null;
  let service = serviceModel;
  const { rows } = await pgPool().query<ModelRow>({
    name: "spam-model-changes",
    // float8 holds the 52-bit hashes and the versions exactly and pg returns it as a number.
    text: `SELECT 0 AS m, "token"::float8 AS "token", "spam", "ham", "changed"::float8 AS "changed", "generation"::float8 AS "generation"
             FROM "SpamToken" WHERE "accountId" = $1::uuid AND ("token" = 0 OR "changed" > $2::int8)
           UNION ALL
           SELECT 1, "token"::float8, "spam", "ham", "changed"::float8, "generation"::float8
             FROM "SpamServiceToken" WHERE "token" = 0 OR "changed" > $3::int8`,
    values: [accountId, user?.version ?? NO_CHANGES, service?.version ?? NO_CHANGES],
  });
  if (
    user &&
    !catchUp(
      user,
      rows.filter((r) => r.m === 0),
    )
  )
    user = null;
  if (
    service &&
    !catchUp(
      service,
      rows.filter((r) => r.m === 1),
    )
  )
    service = null;
  if (!service) service = serviceModel = await readWhole(null);
  if (!user) user = await readWhole(accountId);
  // Most recently used last.
  accountModels.delete(accountId);
  accountModels.set(accountId, user);
  evict(accountId);
  return { user: view(user), service: view(service) };
}

/** A new model's generation: microseconds since 1970, never the one it replaced. */
const NEW_GENERATION = `(extract(epoch FROM clock_timestamp()) * 1000000)::int8`;

/**
 * Applies summed deltas to the account's model and to the service's, in the
 * caller's transaction. Each model's feature-0 row is written first: its
 * message counts move and its version goes up by one, under its row lock
 * until the commit, so one model's versions commit in order and a reader
 * that sees version v sees every row written at v or before. Then one
 * multi-row upsert per table stamps the changed rows with that version.
 * Rows are written in feature order, so two trainings that share features
 * lock them in the same order and cannot deadlock. Counts that fall to
 * zero stay as zero rows (a deleted row is a change no reader could see);
 * the pruning job deletes them and moves the generation.
 */
export async function applyTokenDeltas(
  client: SqlClient,
  accountId: string,
  deltas: TokenDeltas,
): Promise<void> {
  const entries = [...deltas].filter(
    ([t, d]) => t !== MESSAGE_COUNT_TOKEN && (d.spam !== 0 || d.ham !== 0),
  );
  const head = deltas.get(MESSAGE_COUNT_TOKEN) ?? { spam: 0, ham: 0 };
  if (entries.length === 0 && head.spam === 0 && head.ham === 0) return;
  entries.sort((a, b) => a[0] - b[0]);
  const tokens = entries.map(([t]) => t);
  const spam = entries.map(([, d]) => d.spam);
  const ham = entries.map(([, d]) => d.ham);
  const values = [tokens, spam, ham];
  const {
    rows: [account],
  } = await client.query<{ version: string }>({
    name: "spam-bump-account",
    text: `INSERT INTO "SpamToken" ("accountId", "token", "spam", "ham", "changed", "generation")
           VALUES ($1::uuid, 0, $2::int, $3::int, 1, ${NEW_GENERATION})
           ON CONFLICT ("accountId", "token") DO UPDATE SET
             "spam" = GREATEST(0, "SpamToken"."spam" + EXCLUDED."spam"),
             "ham" = GREATEST(0, "SpamToken"."ham" + EXCLUDED."ham"),
             "changed" = "SpamToken"."changed" + 1
           RETURNING "changed" AS "version"`,
    values: [accountId, head.spam, head.ham],
  });
  const {
    rows: [service],
  } = await client.query<{ version: string }>({
    name: "spam-bump-service",
    text: `INSERT INTO "SpamServiceToken" ("token", "spam", "ham", "changed", "generation")
           VALUES (0, $1::int, $2::int, 1, ${NEW_GENERATION})
           ON CONFLICT ("token") DO UPDATE SET
             "spam" = GREATEST(0, "SpamServiceToken"."spam" + EXCLUDED."spam"),
             "ham" = GREATEST(0, "SpamServiceToken"."ham" + EXCLUDED."ham"),
             "changed" = "SpamServiceToken"."changed" + 1
           RETURNING "changed" AS "version"`,
    values: [head.spam, head.ham],
  });
  if (entries.length === 0) return;
  // A new row takes the delta as it is (EXCLUDED is the delta, so it is
  // not floored); only untraining a feature that was never trained (a
  // state training never leaves) could make it negative, and readers
  // clamp at 0.
  await client.query({
    name: "spam-apply-account",
    text: `INSERT INTO "SpamToken" ("accountId", "token", "spam", "ham", "changed")
           SELECT $1::uuid, v.t, v.s, v.h, $5::int8
             FROM unnest($2::int8[], $3::int[], $4::int[]) WITH ORDINALITY AS v(t, s, h, o)
           ORDER BY v.o
           ON CONFLICT ("accountId", "token") DO UPDATE SET
             "spam" = GREATEST(0, "SpamToken"."spam" + EXCLUDED."spam"),
             "ham" = GREATEST(0, "SpamToken"."ham" + EXCLUDED."ham"),
             "changed" = EXCLUDED."changed"`,
    values: [accountId, ...values, account!.version],
  });
  await client.query({
    name: "spam-apply-service",
    text: `INSERT INTO "SpamServiceToken" ("token", "spam", "ham", "changed")
           SELECT v.t, v.s, v.h, $4::int8
             FROM unnest($1::int8[], $2::int[], $3::int[]) WITH ORDINALITY AS v(t, s, h, o)
           ORDER BY v.o
           ON CONFLICT ("token") DO UPDATE SET
             "spam" = GREATEST(0, "SpamServiceToken"."spam" + EXCLUDED."spam"),
             "ham" = GREATEST(0, "SpamServiceToken"."ham" + EXCLUDED."ham"),
             "changed" = EXCLUDED."changed"`,
    values: [...values, service!.version],
  });
}
