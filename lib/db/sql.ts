// Plain SQL through the shared pg pool, for the hot paths that skip Prisma
// (see pgPool in lib/db.ts). A tagged template turns values into numbered
// parameters, never into SQL text, so it is as injection-safe as Prisma's.
import type pg from "pg";
import { pgPool } from "../db.ts";

export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** The statement text with $1…$n placeholders and its parameter list. */
  toQuery(name?: string): pg.QueryConfig {
    const values: unknown[] = [];
    const text = this.render(values);
    return name ? { name, text, values } : { text, values };
  }

  private render(values: unknown[]): string {
    let text = this.strings[0]!;
    this.values.forEach((value, i) => {
      if (value instanceof Sql) {
        text += value.render(values);
      } else {
        values.push(value);
        text += `$${values.length}`;
      }
      text += this.strings[i + 1]!;
    });
    return text;
  }
}

/** sql`SELECT … WHERE id = ${id}`: values become parameters; nested sql`` fragments are inlined. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql(strings, values);
}

export type SqlClient = pg.PoolClient;

/**
 * COMMIT itself failed. If the connection broke, the transaction may or may
 * not have committed: callers must not redo the work as if it had not (that
 * could store it twice), only report a temporary failure.
 */
export class CommitFailedError extends Error {
  constructor(cause: unknown) {
    super(`COMMIT failed: ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = "CommitFailedError";
  }
}

/**
 * Runs `work` inside BEGIN … COMMIT on one pooled connection; ROLLBACK when
 * it throws. Resolves only after COMMIT has returned, i.e. the changes are
 * durable (synchronous_commit is on).
 */
export async function withTransaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T> {
  const client = await pgPool().connect();
  // A connection that failed mid-transaction is destroyed, not pooled again.
  let healthy = true;
  // pg emits "error" on a checked-out client whose server goes away (restart,
  // failover); the pool only listens on idle ones. Unheard, it ends the
  // process; heard, the next query fails and the transaction is rolled back.
  const onError = () => {
    healthy = false;
  };
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    let result: T;
    try {
      result = await work(client);
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        healthy = false;
      });
      throw error;
    }
    await client.query("COMMIT").catch((error: unknown) => {
      healthy = false;
      throw new CommitFailedError(error);
    });
    return result;
  } catch (error) {
    if (isConnectionError(error)) healthy = false;
    throw error;
  } finally {
    client.off("error", onError);
    client.release(!healthy);
  }
}

/** Queries outside a transaction, on any pooled connection. */
export async function query<R extends pg.QueryResultRow>(
  statement: Sql,
  name?: string,
): Promise<R[]> {
  const result = await pgPool().query<R>(statement.toQuery(name));
  return result.rows;
}

/** Socket errors, Postgres class 08 (connection exception) and 57P (shutdown), pg's "Connection terminated". */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string")
    return code.startsWith("E") || code.startsWith("08") || code.startsWith("57P");
  return /connection|terminat|timeout/i.test((error as Error | null)?.message ?? "");
}
