// Readiness: the database answers a query, and it has the latest migration
// of prisma/migrations applied (lib/db/migrate.ts), i.e. this code and the
// schema agree. Each probe asks the database again; nothing is cached but
// the name of the latest migration, which is fixed for the process's code.
import { listMigrationNames } from "../db/migrate.ts";
import { query, sql } from "../db/sql.ts";

/** A probe must answer quickly: one that waits longer on the database says "not ready". */
const READINESS_TIMEOUT_MS = 3_000;

export type Readiness = {
  ready: boolean;
  /** "unreachable": a connection or query failed; "timeout": no answer in time. */
  database: "ok" | "unreachable" | "timeout";
  /** The newest migration this code expects. */
  latestMigration: string | null;
  /** Whether the database has it applied; null when the database could not be asked. */
  migrationApplied: boolean | null;
};

let latestMigration: Promise<string | null> | null = null;

async function isApplied(name: string): Promise<boolean> {
  try {
    const rows = await query<{ applied: boolean }>(
      sql`SELECT EXISTS (SELECT 1 FROM "_migrations" WHERE name = ${name}) AS applied`,
    );
    return rows[0]!.applied;
  } catch (error) {
    // 42P01 undefined_table: no migration was ever applied to this database.
    if ((error as { code?: string }).code === "42P01") return false;
    throw error;
  }
}

export async function checkReadiness(timeoutMs = READINESS_TIMEOUT_MS): Promise<Readiness> {
  latestMigration ??= listMigrationNames().then((names) => names.at(-1) ?? null);
  const latest = await latestMigration;
  let timer: NodeJS.Timeout | undefined;
  const answer = await Promise.race([
    latest === null ? Promise.resolve(false) : isApplied(latest),
    new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs))),
  ])
    .catch(() => "unreachable" as const)
    .finally(() => clearTimeout(timer));
  if (typeof answer === "boolean") {
    return { ready: answer, database: "ok", latestMigration: latest, migrationApplied: answer };
  }
  return { ready: false, database: answer, latestMigration: latest, migrationApplied: null };
}
