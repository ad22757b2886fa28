// Where the service's database is: DATABASE_URL when set (production), else
// the embedded Postgres kept under the data folder (`npm start` on a laptop).
import path from "node:path";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import net from "node:net";
import {
  ensureDatabase,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from "../../lib/db/embedded-postgres.ts";
import type { OutputTail, Service } from "./supervisor.ts";

export const EMBEDDED_DATABASE_NAME = "mail";

export function embeddedPort(): number {
  return Number(process.env.EMBEDDED_PG_PORT ?? 54320);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export type DatabaseHandle = { url: string; embedded: EmbeddedPostgresHandle | null };

/**
 * The database URL; starts the embedded server when needed. With
 * `reuseRunning`, an embedded server that `npm start` already runs is used
 * instead of starting a second one (for the admin CLI).
 */
export async function openDatabase(options: {
  dataDir: string;
  reuseRunning?: boolean;
  log?: (line: string) => void;
}): Promise<DatabaseHandle> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, embedded: null };
  const dir = path.join(path.resolve(options.dataDir), "postgres");
  const port = embeddedPort();
  const passwordFile = path.join(dir, "password");
  if (options.reuseRunning && existsSync(passwordFile) && (await portOpen(port))) {
    const password = (await readFile(passwordFile, "utf8")).trim();
    return {
      url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE_NAME}`,
      embedded: null,
    };
  }
  const embedded = await startEmbeddedPostgres({ dir, port, log: options.log });
  const url = await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE_NAME);
  return { url, embedded };
}

/**
 * The embedded Postgres as a supervised service (scripts/lib/supervisor.ts):
 * running already when added, started again on the same data after it died.
 * `log` is where openDatabase was told to log, for the crash report.
 */
export function postgresService(server: EmbeddedPostgresHandle, log: OutputTail): Service {
  let running = true;
  return {
    name: "postgres",
    lastOutput: () => log.get(),
    start: async () => {
      if (!running) await server.restart();
      running = false;
      return {
        pid: server.pid(),
        ready: Promise.resolve(),
        exited: server.exited(),
        stop: () => server.stop(),
      };
    },
  };
}
