// postinstall: generate the Prisma client into lib/generated/prisma.
// Prisma 7's CLI wants a native schema engine before any command, but
// generation itself runs in WASM: pointing PRISMA_SCHEMA_ENGINE_BINARY at any
// existing file skips the download (see docs/architecture.md, "Database").
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const cli = require.resolve("prisma/build/index.js");
const result = spawnSync(process.execPath, [cli, "generate"], {
  stdio: "inherit",
  cwd: fileURLToPath(new URL("..", import.meta.url)),
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  },
});
process.exit(result.status ?? 1);
