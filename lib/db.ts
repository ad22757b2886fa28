// The Prisma client, one per process. Only lib/ imports this file: the web
// app and the gateway reach the database through lib's functions, so every
// rule about what may be read or written lives in one place.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient, type Prisma } from "./generated/prisma/client.ts";

export { Prisma } from "./generated/prisma/client.ts";
export type * from "./generated/prisma/client.ts";

type Db = InstanceType<typeof PrismaClient>;

const globalForDb = globalThis as unknown as { __mailDb?: Db; __mailPool?: pg.Pool };

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set");
  return url;
}

/**
 * The connection pool under the Prisma client, shared with the few hot paths
 * that talk SQL through `pg` directly (lib/store/deliver.ts: a Prisma raw
 * query costs about 0.5 ms of CPU more than the same query through pg, which
 * is most of an inbound message's database time). One pool, one limit.
 */
export function pgPool(): pg.Pool {
  if (!globalForDb.__mailPool) {
    const pool = new pg.Pool({
      connectionString: databaseUrl(),
      max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
      connectionTimeoutMillis: 5_000,
    });
    // An idle connection that the server drops (restart, failover) emits
    // "error" on the pool; unhandled, that would end the process.
    pool.on("error", () => {});
    globalForDb.__mailPool = pool;
  }
  return globalForDb.__mailPool;
}

function createClient(): Db {
  return new PrismaClient({ adapter: new PrismaPg(pgPool()) });
}

/** Lazily created so that importing lib/ never needs a database. */
export const db: Db = new Proxy({} as Db, {
  get(_target, property) {
    globalForDb.__mailDb ??= createClient();
    const value = Reflect.get(globalForDb.__mailDb, property);
    return typeof value === "function" ? value.bind(globalForDb.__mailDb) : value;
  },
});

/** A transaction client, as handed to `db.$transaction(async (tx) => …)`. */
export type Tx = Prisma.TransactionClient;

export async function disconnectDb(): Promise<void> {
  if (globalForDb.__mailDb) {
    await globalForDb.__mailDb.$disconnect();
    globalForDb.__mailDb = undefined;
  }
  if (globalForDb.__mailPool) {
    const pool = globalForDb.__mailPool;
    globalForDb.__mailPool = undefined;
    await pool.end();
  }
}
