// npx tsx scripts/bench-admin-overview.ts
// How long the admin overview's received/sent counts take when they scan
// Message (no index on receivedAt alone, by the sharding rule) versus the
// hourly rollup (MailVolumeHour), over BENCH_MESSAGES messages (default
// 100,000) spread over BENCH_ACCOUNTS accounts and 90 days.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres, ensureDatabase } from "../lib/db/embedded-postgres.ts";
import { migrate } from "../lib/db/migrate.ts";
import { getFreePort } from "../test/helpers/net.ts";
import { countMailVolumeStatement } from "../lib/store/mail-volume.ts";

const TOTAL = Number(process.env.BENCH_MESSAGES ?? 100_000);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const log = (line: string) => console.log(`[bench] ${line}`);

const pgDir = await mkdtemp(path.join(tmpdir(), "mail-bench-admin-pg-"));
await chmod(pgDir, 0o755);
const server = await startEmbeddedPostgres({ dir: pgDir, port: await getFreePort() });
try {
  const url = await ensureDatabase(server.adminUrl, "mail_bench");
  await migrate(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = Date.now();
  // Accounts, their Inbox and Sent folders, one shared source, then messages
  // spread evenly over the last 90 days: 9 in 10 received, 1 in 10 sent.
  await client.query(`
    INSERT INTO "Domain" ("id", "name") VALUES (gen_random_uuid(), 'bench.test');
    INSERT INTO "Account" ("id", "address", "localPart", "domainId", "passwordHash", "quotaBytes")
      SELECT gen_random_uuid(), 'u' || i || '@bench.test', 'u' || i, (SELECT "id" FROM "Domain"), 'x', 1e12
      FROM generate_series(1, ${ACCOUNTS}) i;
    INSERT INTO "Mailbox" ("accountId", "id", "name", "specialUse", "uidValidity")
      SELECT a."id", gen_random_uuid(), f.name, f.use::"SpecialUse", 1
      FROM "Account" a, (VALUES ('INBOX', 'INBOX'), ('Sent', 'SENT')) f(name, use);
    INSERT INTO "MessageSource" ("sha256", "raw", "size") VALUES ('bench', 'x', 1);`);
  await client.query(`
    WITH accounts AS (SELECT "id", row_number() OVER () - 1 AS n FROM "Account")
    INSERT INTO "Message" ("accountId", "id", "mailboxId", "uid", "modseq", "sourceSha256", "threadId",
      "receivedAt", "size", "subject", "snippet")
    SELECT a."id", gen_random_uuid(), b."id", i, 1, 'bench', gen_random_uuid(),
      now() - (i::float8 / ${TOTAL}) * interval '90 days', 2000, 'Subject ' || i, 'snippet of message ' || i
    FROM generate_series(1, ${TOTAL}) i
    JOIN accounts a ON a.n = i % ${ACCOUNTS}
    JOIN "Mailbox" b ON b."accountId" = a."id" AND b."specialUse" = (CASE WHEN i % 10 = 0 THEN 'SENT' ELSE 'INBOX' END)::"SpecialUse"`);
  await client.query(`
    INSERT INTO "MailVolumeHour" ("hour", "slot", "received", "sent")
    SELECT date_trunc('hour', m."receivedAt"), 0,
      count(*) FILTER (WHERE b."specialUse" = 'INBOX'), count(*) FILTER (WHERE b."specialUse" = 'SENT')
    FROM "Message" m JOIN "Mailbox" b ON b."accountId" = m."accountId" AND b."id" = m."mailboxId"
    GROUP BY 1`);
  await client.query("VACUUM ANALYZE");
  log(`seeded ${TOTAL} messages over ${ACCOUNTS} accounts in ${Date.now() - started} ms`);

  const queries: [string, string][] = [
    [
      "scan: per hour, 24 h",
      `SELECT date_trunc('hour', m."receivedAt") h, count(*) FILTER (WHERE b."specialUse" = 'INBOX'),
         count(*) FILTER (WHERE b."specialUse" = 'SENT')
       FROM "Message" m JOIN "Mailbox" b ON b."accountId" = m."accountId" AND b."id" = m."mailboxId"
       WHERE m."receivedAt" >= now() - interval '24 hours' GROUP BY 1`,
    ],
    [
      "scan: per day, 30 days",
      `SELECT date_trunc('day', m."receivedAt") d, count(*) FILTER (WHERE b."specialUse" = 'INBOX'),
         count(*) FILTER (WHERE b."specialUse" = 'SENT')
       FROM "Message" m JOIN "Mailbox" b ON b."accountId" = m."accountId" AND b."id" = m."mailboxId"
       WHERE m."receivedAt" >= now() - interval '30 days' GROUP BY 1`,
    ],
    [
      "rollup: per hour, 24 h",
      `SELECT "hour", sum("received"), sum("sent") FROM "MailVolumeHour"
       WHERE "hour" >= now() - interval '24 hours' GROUP BY 1`,
    ],
    [
      "rollup: per day, 30 days",
      `SELECT date_trunc('day', "hour"), sum("received"), sum("sent") FROM "MailVolumeHour"
       WHERE "hour" >= now() - interval '30 days' GROUP BY 1`,
    ],
  ];
  for (const [name, text] of queries) {
    await client.query(text);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = process.hrtime.bigint();
      await client.query(text);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    log(
      `${name}: median ${times[Math.floor(RUNS / 2)]!.toFixed(2)} ms, max ${times.at(-1)!.toFixed(2)} ms`,
    );
  }
  // What the rollup adds to each delivery batch: its one statement, inside
  // a transaction as in lib/store (no commit of its own to wait for).
  const add = countMailVolumeStatement([{ at: new Date(), received: 3, sent: 1 }])!.toQuery(
    "volume",
  );
  const adds: number[] = [];
  await client.query("BEGIN");
  for (let i = 0; i < RUNS * 10; i++) {
    const t = process.hrtime.bigint();
    await client.query(add);
    adds.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  await client.query("COMMIT");
  adds.sort((a, b) => a - b);
  log(`rollup statement per delivery batch: median ${adds[adds.length >> 1]!.toFixed(3)} ms`);
  await client.end();
} finally {
  await server.stop();
  await rm(pgDir, { recursive: true, force: true });
}
