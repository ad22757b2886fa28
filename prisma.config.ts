// Prisma CLI configuration. Only `prisma generate` runs here: migrations are
// plain SQL applied by lib/db/migrate.ts (Prisma 7's migrate engine is a
// native download this project does not depend on).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
