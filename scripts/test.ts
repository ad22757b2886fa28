// npm test [-- <file or folder>…]
// Starts a private Postgres, migrates a template database that every test
// file clones, builds the web app when browser or start-up tests are
// selected, then runs the files with Node's test runner.
import { spawn } from "node:child_process";
import { chmod, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedPostgres, ensureDatabase } from "../lib/db/embedded-postgres.ts";
import { migrate } from "../lib/db/migrate.ts";
import { ensureGatewayBuild } from "./lib/gateway-build.ts";
import { ensureNextBuild } from "./lib/next-build.ts";
import { getFreePort } from "../test/helpers/net.ts";

const root = path.resolve(import.meta.dirname, "..");
const log = (line: string) => console.log(`[test] ${line}`);

async function findTests(target: string): Promise<string[]> {
  const info = await stat(target);
  if (!info.isDirectory()) return target.endsWith(".test.ts") ? [target] : [];
  const out: string[] = [];
  for (const entry of await readdir(target, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "fixtures") continue;
    out.push(...(await findTests(path.join(target, entry.name))));
  }
  return out.sort();
}

const targets = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const files = (
  await Promise.all(
    (targets.length ? targets : ["test"]).map((t) => findTests(path.resolve(root, t))),
  )
).flat();
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
// start.test.ts, start-*.test.ts: the production start path, web app included.
const needsWeb = files.some(
  (f) =>
    f.includes(`${path.sep}e2e${path.sep}`) || /^start(-.+)?\.test\.ts$/.test(path.basename(f)),
);
if (needsWeb) await ensureNextBuild(root, log);
// Tests that run the gateway as its own process run the production bundle.
await ensureGatewayBuild(root, log);

const pgDir = await mkdtemp(path.join(tmpdir(), "mail-test-pg-"));
await chmod(pgDir, 0o755);
const pgServer = await startEmbeddedPostgres({ dir: pgDir, port: await getFreePort() });
let exitCode = 1;
try {
  const templateUrl = await ensureDatabase(pgServer.adminUrl, "mail_template");
  await migrate(templateUrl);
  log(`postgres ready on port ${pgServer.port}; ${files.length} test files`);
  exitCode = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--test",
        `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
        ...files.map((f) => path.relative(root, f)),
      ],
      {
        cwd: root,
        stdio: "inherit",
        env: {
          ...process.env,
          TEST_PG_ADMIN_URL: pgServer.adminUrl,
          TEST_TEMPLATE_DB: "mail_template",
          NEXT_TELEMETRY_DISABLED: "1",
        },
      },
    );
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
} finally {
  await pgServer.stop();
  await rm(pgDir, { recursive: true, force: true });
}
process.exit(exitCode);
