// npm run bench:relay
// 5,000 messages of 5 KiB queued for a remote domain whose MX is a loopback
// sink (an smtp-server that discards the data): prints messages per second
// from queue to sink and the process's peak RSS. Starts its own Postgres.
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { SMTPServer } from "smtp-server";
import { startEmbeddedPostgres, ensureDatabase } from "../lib/db/embedded-postgres.ts";
import { migrate } from "../lib/db/migrate.ts";
import { getFreePort } from "../test/helpers/net.ts";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const SIZE = 5 * 1024;

const work = await mkdtemp(path.join(tmpdir(), "bench-relay-"));
await chmod(work, 0o755);
const pg = await startEmbeddedPostgres({ dir: work, port: await getFreePort() });
let received = 0;
const sink = new SMTPServer({
  authOptional: true,
  disabledCommands: ["AUTH", "STARTTLS"],
  disableReverseLookup: true,
  logger: false,
  onData(stream, session, callback) {
    stream.on("data", () => {});
    stream.on("end", () => {
      received += session.envelope.rcptTo.length;
      callback();
    });
  },
});
const sinkPort = await getFreePort();
await new Promise<void>((resolve) => sink.listen(sinkPort, "127.0.0.1", resolve));

try {
  const url = await ensureDatabase(pg.adminUrl, "mail_bench");
  await migrate(url);
  process.env.DATABASE_URL = url;
  process.env.DATABASE_POOL_SIZE = "20";
  const { db, disconnectDb } = await import("../lib/db.ts");
  const { withTransaction } = await import("../lib/db/sql.ts");
  const { enqueueStatement } = await import("../lib/queue/enqueue.ts");
  const { parseConfig } = await import("../lib/config/index.ts");
  const { createStaticResolver } = await import("../lib/dns/resolver.ts");
  const { RelayWorker } = await import("../mail-gateway/relay/worker.ts");

  console.log(`queueing ${MESSAGES} messages of ${SIZE / 1024} KiB…`);
  const filler = randomBytes(SIZE).toString("base64").slice(0, SIZE);
  for (let start = 0; start < MESSAGES; start += 500) {
    await withTransaction(async (client) => {
      for (let i = start; i < Math.min(MESSAGES, start + 500); i++) {
        const raw = Buffer.from(
          `From: a@mail.test\r\nTo: user${i}@remote.test\r\nSubject: bench ${i}\r\n\r\n${filler}\r\n`,
        );
        const sha256 = createHash("sha256").update(raw).digest("hex");
        await client.query(
          `INSERT INTO "MessageSource" ("sha256", "raw", "size") VALUES ($1, $2, $3)`,
          [sha256, raw, raw.length],
        );
        await client.query(
          enqueueStatement({
            accountId: null,
            sourceSha256: sha256,
            recipients: [{ recipient: `user${i}@remote.test`, mailFrom: "a@mail.test" }],
            notBefore: new Date(),
            lifetimeSeconds: 3600,
          }).toQuery(),
        );
      }
    });
  }

  const relay = parseConfig({
    RELAY_ROUTES: `remote.test=127.0.0.1:${sinkPort}`,
    RELAY_POLL_SECONDS: "0.05",
    RELAY_CONCURRENCY_PER_DOMAIN: process.env.BENCH_CONCURRENCY ?? "8",
  }).relay;
  const worker = new RelayWorker({
    relay,
    hostname: "mx.mail.test",
    resolver: createStaticResolver({}),
    deliverReports: async () => {},
    log: () => {},
  });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  worker.start();
  for (;;) {
    const done = await db.outboundRecipient.count({ where: { status: "DELIVERED" } });
    if (done >= MESSAGES) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await worker.stop();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    `relay: ${MESSAGES} messages delivered in ${seconds.toFixed(1)} s = ${(MESSAGES / seconds).toFixed(0)} msg/s (sink saw ${received})`,
  );
  // CPU per message does not depend on how busy the machine is; msg/s does.
  console.log(
    `CPU of the benchmark process (worker + sink, not Postgres): ${((cpu.user + cpu.system) / 1000 / MESSAGES).toFixed(2)} ms per message; load average ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `peak RSS of the benchmark process (queue filler + worker): ${peakRssMb.toFixed(0)} MB`,
  );
  await disconnectDb();
} finally {
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  await pg.stop();
  await rm(work, { recursive: true, force: true });
}
process.exit(0);
