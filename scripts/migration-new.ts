// npm run migration:new -- <name>
// Writes prisma/migrations/<timestamp>_<name>/migration.sql with the SQL that
// takes the previous migration's schema snapshot to prisma/schema.prisma, and
// keeps a snapshot of the schema beside it for the next diff.
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../lib/db/embedded-postgres.ts";
import { diffSchemas } from "../prisma/diff.ts";
import { getFreePort } from "../test/helpers/net.ts";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run migration:new -- <snake_case_name>");
  process.exit(2);
}
const root = path.resolve(import.meta.dirname, "..");
const migrationsDir = path.join(root, "prisma", "migrations");
await mkdir(migrationsDir, { recursive: true });
const previous = (await readdir(migrationsDir, { withFileTypes: true }))
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort()
  .at(-1);
const fromSnapshot = previous ? path.join(migrationsDir, previous, "schema.prisma") : null;
if (fromSnapshot && !existsSync(fromSnapshot)) throw new Error(`${fromSnapshot} is missing`);

// A free port and a private folder: several checkouts may run this at once.
const pgDir = process.env.DATABASE_URL ? null : await mkdtemp(path.join(tmpdir(), "migration-pg-"));
const pgServer = pgDir
  ? await startEmbeddedPostgres({ dir: pgDir, port: await getFreePort() })
  : null;
try {
  const sql = await diffSchemas({
    from: fromSnapshot,
    to: path.join(root, "prisma", "schema.prisma"),
    databaseUrl: process.env.DATABASE_URL ?? pgServer!.adminUrl,
  });
  if (!sql.trim()) {
    console.log("schema.prisma has no changes since the last migration");
  } else {
    const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const dir = path.join(migrationsDir, `${stamp}_${name}`);
    await mkdir(dir);
    await writeFile(path.join(dir, "migration.sql"), sql);
    await copyFile(path.join(root, "prisma", "schema.prisma"), path.join(dir, "schema.prisma"));
    console.log(`wrote ${path.relative(root, dir)}/migration.sql`);
  }
} finally {
  await pgServer?.stop();
  if (pgDir) await rm(pgDir, { recursive: true, force: true });
}
