// The migrations in prisma/migrations, applied in order, must build exactly
// the database that prisma/schema.prisma describes.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import pg from "pg";
import { diffSchemas } from "../../../prisma/diff.ts";
import { createEmptyDatabase, testAdminUrl } from "../../helpers/db.ts";
import { describeSchema } from "../../helpers/catalog.ts";
import { migrate } from "../../../lib/db/migrate.ts";

const root = path.resolve(import.meta.dirname, "../../..");

test("migrated database equals the one schema.prisma describes", { timeout: 120_000 }, async () => {
  const migratedUrl = await createEmptyDatabase("migrated");
  const applied = await migrate(migratedUrl);
  assert.ok(applied.length >= 1, "at least one migration applies");
  assert.deepEqual(await migrate(migratedUrl), [], "a second run applies nothing");

  const fromSchemaUrl = await createEmptyDatabase("fromschema");
  const sql = await diffSchemas({
    from: null,
    to: path.join(root, "prisma", "schema.prisma"),
    databaseUrl: testAdminUrl(),
  });
  assert.match(sql, /CREATE TABLE "Message"/);
  const client = new pg.Client({ connectionString: fromSchemaUrl });
  await client.connect();
  await client.query(sql);
  await client.end();

  const migrated = await describeSchema(migratedUrl);
  const expected = await describeSchema(fromSchemaUrl);
  for (const key of Object.keys(expected)) {
    assert.deepEqual(
      migrated[key],
      expected[key],
      `${key} differ between migrations and schema.prisma`,
    );
  }
});

test("a migration changed after it was applied is refused", async () => {
  const url = await createEmptyDatabase("tampered");
  await migrate(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    `UPDATE "_migrations" SET checksum = 'x' WHERE name = (SELECT min(name) FROM "_migrations")`,
  );
  await client.end();
  await assert.rejects(migrate(url), /was changed after it was applied/);
});
