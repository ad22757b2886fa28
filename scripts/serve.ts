// Entry point of one process in production (docker-compose.yml):
//   tsx scripts/serve.ts web | gateway
// Applies pending migrations (an advisory lock makes concurrent starts safe),
// makes sure MAIL_DOMAIN is hosted, then runs the process.
import { loadConfig } from "../lib/config/index.ts";
import { databaseUrl } from "../lib/db.ts";
import { migrate } from "../lib/db/migrate.ts";
import { ensureHostedDomain } from "../lib/accounts/domains.ts";

const role = process.argv[2];
if (role !== "web" && role !== "gateway") {
  console.error("usage: tsx scripts/serve.ts web|gateway");
  process.exit(2);
}
const applied = await migrate(databaseUrl());
if (applied.length) console.log(`${role}: applied migrations ${applied.join(", ")}`);
await ensureHostedDomain(loadConfig().mailDomain);
await import(role === "web" ? "../web/server.ts" : "../mail-gateway/main.ts");
