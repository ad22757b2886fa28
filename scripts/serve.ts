// Entry point of one process in production (docker-compose.yml):
//   tsx scripts/serve.ts web | gateway
// Applies pending migrations (an advisory lock makes concurrent starts safe),
// makes sure MAIL_DOMAIN is hosted, then runs the process. The gateway runs
// as its built bundle (scripts/lib/gateway-build.ts) in a child node process
// without tsx, which this one supervises: signals go to it, its exit code is
// ours.
import { spawn } from "node:child_process";
import path from "node:path";
import { loadConfig } from "../lib/config/index.ts";
import { databaseUrl, disconnectDb } from "../lib/db.ts";
import { migrate } from "../lib/db/migrate.ts";
import { ensureHostedDomain } from "../lib/accounts/domains.ts";
import { ensureGatewayBuild, gatewayProcess } from "./lib/gateway-build.ts";

const role = process.argv[2];
if (role !== "web" && role !== "gateway") {
  console.error("usage: tsx scripts/serve.ts web|gateway");
  process.exit(2);
}
const applied = await migrate(databaseUrl());
if (applied.length) console.log(`${role}: applied migrations ${applied.join(", ")}`);
await ensureHostedDomain(loadConfig().mailDomain);

if (role === "web") {
  await import("../web/server.ts");
} else {
  await disconnectDb();
  const root = path.resolve(import.meta.dirname, "..");
  await ensureGatewayBuild(root, (line) => console.log(`gateway: ${line}`));
  const gateway = gatewayProcess(root);
  const child = spawn(process.execPath, gateway.args, {
    cwd: root,
    env: gateway.env,
    stdio: "inherit",
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => child.kill(signal));
  }
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
