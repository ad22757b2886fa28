// Configuration for Prisma 6's CLI (installed as `prisma6`), used only to
// write migration SQL from schema diffs (scripts/migration-new.mjs) and by the
// schema-equality test. Its schema engine runs in WASM with a driver adapter,
// so nothing is downloaded; a diff between two schema files opens no
// connection.
import { PrismaPg } from "@prisma/adapter-pg";
import type { PrismaConfig } from "prisma6";

export default {
  experimental: { adapter: true },
  engine: "js",
  schema: "schema.prisma",
  adapter: async () =>
    new PrismaPg({ connectionString: process.env.DATABASE_URL ?? "postgres://localhost/unused" }),
} satisfies PrismaConfig;
