// The gateway process: `node --import tsx mail-gateway/main.ts`, started by
// scripts/serve.ts (production) and scripts/start.ts (development). Wires
// listeners (gateway.ts) and the HTTP listener for health probes
// (http/server.ts), and shuts down cleanly on SIGINT/SIGTERM: stop
// accepting, finish deliveries in flight, close the database, exit 0.
import { loadConfig } from "../lib/config/index.ts";
import { closeDatabase } from "../lib/db/lifecycle.ts";
import { healthRoutes } from "../lib/health/index.ts";
import { startGateway } from "./gateway.ts";
import { startHttpListener } from "./http/server.ts";

// An error nobody caught (a listener's port taken at start, a bug) leaves
// the process in a state nobody knows: print it, end with a one-line reason
// (what a supervisor shows of the last lines), and exit 1 at once, so that
// npm start's supervisor or docker runs a fresh gateway. Clients of
// deliveries in flight never got their 250 and send again.
function fatal(error: unknown): never {
  console.error(error);
  const reason = error instanceof Error ? error.message : String(error);
  console.error(`gateway: exiting after an uncaught error: ${reason}`);
  process.exit(1);
}
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);

const config = loadConfig();
if (!config.databaseUrl) {
  console.error("gateway: DATABASE_URL is not set");
  process.exit(1);
}

const gateway = await startGateway({ config });
// Started last: a probe that gets an answer finds every listener up.
const httpListener =
  config.gatewayHttp.port === null
    ? null
    : await startHttpListener({
        port: config.gatewayHttp.port,
        host: config.gatewayHttp.host,
        routes: healthRoutes,
        log: console.log,
      });
if (httpListener) {
  console.log(`gateway: http listening on ${config.gatewayHttp.host}:${httpListener.port}`);
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`gateway: ${signal}, finishing ${gateway.inFlight()} deliveries in flight`);
  try {
    await httpListener?.close();
    await gateway.close();
    await closeDatabase();
    console.log("gateway: stopped");
    process.exit(0);
  } catch (error) {
    console.error(`gateway: shutdown failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
