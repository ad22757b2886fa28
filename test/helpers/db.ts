// Each test file gets its own database, cloned from the migrated template
// that scripts/test.ts prepares, and points lib/db at it.
import { randomBytes } from "node:crypto";
import { after } from "node:test";
import pg from "pg";

export function testAdminUrl(): string {
  const url = process.env.TEST_PG_ADMIN_URL;
  if (!url) throw new Error("TEST_PG_ADMIN_URL is not set: run the tests with `npm test`");
  return url;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty database (no migrations); dropped when the file's tests end. */
export async function createEmptyDatabase(prefix = "t"): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  after(() => dropDatabase(name));
  return withDatabase(testAdminUrl(), name);
}

// Servers started by a test file stop before its database is dropped:
// node:test runs `after` hooks in the order they were added, and a gateway
// still working (its search indexer, a delivery) while the database goes
// gets its connections cut under it.
const beforeDrop: (() => Promise<void>)[] = [];
let dropScheduled = false;

/**
 * Runs `stop` when the file's tests end: before its database is dropped
 * (last added, first run) when it has one, else as an ordinary `after`.
 */
export function stopBeforeDatabaseDrop(stop: () => Promise<void>): void {
  if (dropScheduled) beforeDrop.unshift(stop);
  else after(stop);
}

/**
 * Creates a migrated database for this test file, sets DATABASE_URL to it
 * (lib/db connects lazily, so call this before the first query) and drops it
 * when the file's tests end.
 */
export async function useTestDatabase(): Promise<string> {
  const template = process.env.TEST_TEMPLATE_DB ?? "mail_template";
  const name = `t_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  const url = withDatabase(testAdminUrl(), name);
  process.env.DATABASE_URL = url;
  dropScheduled = true;
  after(async () => {
    for (const stop of beforeDrop.splice(0)) await stop();
    const { disconnectDb } = await import("../../lib/db.ts");
    await disconnectDb();
    await dropDatabase(name);
  });
  return url;
}

async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: testAdminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
