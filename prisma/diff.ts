// Turns schema.prisma files into migration SQL with Prisma 6's CLI (installed
// as `prisma6`), whose schema engine runs in WASM. It needs a reachable
// Postgres even for a file-to-file diff; any database on the server will do.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const PRISMA6_CLI = require.resolve("prisma6/build/index.js");
const CONFIG = fileURLToPath(new URL("./diff.config.ts", import.meta.url));

/** Prisma 7 forbids `url` in the datasource block; Prisma 6 requires it. */
async function asPrisma6Schema(schemaPath: string, workDir: string, name: string): Promise<string> {
  const text = await readFile(schemaPath, "utf8");
  const patched = text.replace(
    /datasource db \{\n(\s*)provider(\s*)= "postgresql"\n/,
    (m, indent: string, gap: string) =>
      `${m}${indent}url${gap.slice(0, -1)}     = env("DATABASE_URL")\n`,
  );
  if (patched === text) throw new Error(`${schemaPath}: datasource block not recognised`);
  const out = path.join(workDir, `${name}.prisma`);
  await writeFile(out, patched);
  return out;
}

/** SQL that takes a database from `from` (null: empty) to `to`. Empty string: no change. */
export async function diffSchemas(options: {
  from: string | null;
  to: string;
  databaseUrl: string;
}): Promise<string> {
  const workDir = await mkdtemp(path.join(tmpdir(), "prisma-diff-"));
  try {
    const to = await asPrisma6Schema(options.to, workDir, "to");
    const fromArgs = options.from
      ? ["--from-schema-datamodel", await asPrisma6Schema(options.from, workDir, "from")]
      : ["--from-empty"];
    const { stdout } = await run(
      process.execPath,
      [
        PRISMA6_CLI,
        "migrate",
        "diff",
        "--config",
        CONFIG,
        ...fromArgs,
        "--to-schema-datamodel",
        to,
        "--script",
      ],
      {
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          DATABASE_URL: options.databaseUrl,
          // Any existing file: Prisma 6 checks these paths before using WASM.
          PRISMA_QUERY_ENGINE_LIBRARY: process.execPath,
          PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
          PRISMA_HIDE_UPDATE_MESSAGE: "1",
          CHECKPOINT_DISABLE: "1",
        },
      },
    );
    return stdout.includes("This is an empty migration.") ? "" : stdout;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
