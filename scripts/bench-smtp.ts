// npm run bench:smtp [-- --connections 100 --seconds 15 --size 5120]
// Inbound SMTP throughput and memory, against a private Postgres:
//  1. the gateway (its production bundle, in its own process): messages per
//     second answered 250, i.e. durably committed, from many connections;
//  2. a bare smtp-server with the same options that discards the data (the
//     library's own limit), under the same load; and the ratio of the two;
//  3. the gateway's peak RSS while 20 clients each send a message with a
//     25 MiB attachment at once.
// The load generator (test/helpers/smtp-load.ts) runs in this process.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { SMTPServer } from "smtp-server";
import { ensureDatabase, startEmbeddedPostgres } from "../lib/db/embedded-postgres.ts";
import { migrate } from "../lib/db/migrate.ts";
import { getFreePort } from "../test/helpers/net.ts";
import { ensureGatewayBuild, gatewayNodeArgs } from "./lib/gateway-build.ts";
import { loadMessage, startLoad } from "../test/helpers/smtp-load.ts";

const root = path.resolve(import.meta.dirname, "..");

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "100" },
    seconds: { type: "string", default: "15" },
    size: { type: "string", default: String(5 * 1024) },
    "big-clients": { type: "string", default: "20" },
    "big-mib": { type: "string", default: "25" },
    "bare-server": { type: "string" },
  },
});

if (args["bare-server"]) {
  // Child mode: the reference server. Same smtp-server options as
  // mail-gateway/smtp/server.ts, a handler that reads and drops the data.
  const server = new SMTPServer({
    name: "bare.bench",
    size: 25 * 1024 * 1024,
    hideENHANCEDSTATUSCODES: false,
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ["AUTH"],
    maxRecipients: 100,
    logger: false,
    onData(stream, _session, callback) {
      stream.on("data", () => {});
      stream.on("end", () => callback(null, "discarded"));
    },
  });
  server.listen(Number(args["bare-server"]), "127.0.0.1", () =>
    console.log("bare: smtp listening"),
  );
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
} else {
  await main();
}

function log(line: string) {
  console.log(`[bench] ${line}`);
}

async function main() {
  const connections = Number(args.connections);
  const seconds = Number(args.seconds);
  const size = Number(args.size);
  const work = await mkdtemp(path.join(tmpdir(), "mail-bench-smtp-"));
  await chmod(work, 0o755);
  const children: ChildProcess[] = [];
  const pg = await startEmbeddedPostgres({ dir: path.join(work, "pg"), port: await getFreePort() });
  try {
    const databaseUrl = await ensureDatabase(pg.adminUrl, "bench");
    await migrate(databaseUrl);
    process.env.DATABASE_URL = databaseUrl;
    const { makeAccount } = await import("../test/helpers/accounts.ts");
    const bob = await makeAccount("bob", { quotaBytes: 1n << 40n });
    const { db, disconnectDb } = await import("../lib/db.ts");
    log(`postgres ready; ${connections} connections, ${size}-byte messages, ${seconds} s per run`);

    // 1. The gateway, run as in production (its bundle).
    await ensureGatewayBuild(root, log);
    const gatewayPort = await getFreePort();
    const gateway = await spawnAndWait(
      gatewayNodeArgs(root),
      gatewayEnv(databaseUrl, work, gatewayPort, {}),
      "smtp listening",
    );
    children.push(gateway);
    const stored = await measure("gateway", gatewayPort, connections, seconds, size);
    const count = await db.message.count({ where: { accountId: bob.id } });
    if (count < stored.acked) throw new Error(`${stored.acked} acknowledged but ${count} stored`);
    await stop(gateway);

    // 2. The bare library.
    const barePort = await getFreePort();
    const bare = await spawnAndWait(
      ["--import", "tsx", "scripts/bench-smtp.ts", "--bare-server", String(barePort)],
      { ...process.env },
      "smtp listening",
    );
    children.push(bare);
    const discarded = await measure("bare smtp-server", barePort, connections, seconds, size);
    await stop(bare);

    // 3. Memory: 20 clients, one message each with a 25 MiB attachment.
    const bigClients = Number(args["big-clients"]);
    const attachmentBytes = Number(args["big-mib"]) * 1024 * 1024;
    const bigPort = await getFreePort();
    // Base64 makes a 25 MiB attachment a 34 MiB message: the limit is raised to let it in.
    const big = await spawnAndWait(
      gatewayNodeArgs(root),
      gatewayEnv(databaseUrl, work, bigPort, {
        MAX_MESSAGE_BYTES: String(attachmentBytes * 1.4 + 65536),
      }),
      "smtp listening",
    );
    children.push(big);
    const baselineRss = await readRss(big.pid!);
    const body = bigMessage(attachmentBytes);
    const started = performance.now();
    const bigLoad = startLoad({
      port: bigPort,
      connections: bigClients,
      recipients: ["bob@mail.test"],
      messagesPerConnection: 1,
      idPrefix: "big",
      message: (id) => Buffer.concat([Buffer.from(`Message-ID: <${id}@example.org>\r\n`), body]),
    });
    let peakSampled = baselineRss.rss;
    const sampler = setInterval(() => {
      void readRss(big.pid!).then(
        (r) => (peakSampled = Math.max(peakSampled, r.rss)),
        () => {},
      );
    }, 50);
    await bigLoad.done;
    clearInterval(sampler);
    const bigSeconds = (performance.now() - started) / 1000;
    const { hwm } = await readRss(big.pid!);
    const bigStored = await db.message.count({
      where: { messageIdHeader: { startsWith: "<big-" } },
    });
    await stop(big);
    await disconnectDb();

    const ratio = stored.rate / discarded.rate;
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
    const results = {
      date: new Date().toISOString(),
      connections,
      messageBytes: size,
      seconds,
      gatewayStoredPerSecond: Math.round(stored.rate),
      bareSmtpServerPerSecond: Math.round(discarded.rate),
      ratio: Number(ratio.toFixed(3)),
      bigMessages: {
        clients: bigClients,
        attachmentMiB: attachmentBytes / 1024 / 1024,
        stored: bigStored,
        seconds: Number(bigSeconds.toFixed(1)),
      },
      gatewayRssBaselineBytes: baselineRss.rss,
      gatewayPeakRssBytes: hwm,
    };
    console.log("");
    console.log(`gateway, durably stored : ${results.gatewayStoredPerSecond} messages/s`);
    console.log(`bare smtp-server        : ${results.bareSmtpServerPerSecond} messages/s`);
    console.log(`ratio                   : ${ratio.toFixed(2)} (target >= 0.6)`);
    console.log(
      `peak RSS, ${bigClients} x ${attachmentBytes / 1024 / 1024} MiB attachments: ${mb(hwm)} ` +
        `(baseline ${mb(baselineRss.rss)}, target <= 250 MB; ${bigStored}/${bigClients} stored in ${bigSeconds.toFixed(1)} s)`,
    );
    await mkdir(path.join(root, "bench-results"), { recursive: true });
    await writeFile(
      path.join(root, "bench-results", "smtp.json"),
      JSON.stringify(results, null, 2) + "\n",
    );
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await pg.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function gatewayEnv(
  databaseUrl: string,
  work: string,
  port: number,
  extra: Record<string, string>,
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: databaseUrl,
    SMTP_PORT: String(port),
    LISTEN_HOST: "127.0.0.1",
    DATA_DIR: path.join(work, "data"),
    MAIL_DOMAIN: "mail.test",
    MAIL_HOSTNAME: "mx.mail.test",
    // No DNS on benchmark machines: a closed local port fails lookups at once.
    DNS_SERVERS: "127.0.0.1:9",
    ...extra,
  };
}

/** Runs the load for `seconds` after a short warm-up; messages answered 250 per second. */
async function measure(
  label: string,
  port: number,
  connections: number,
  seconds: number,
  size: number,
) {
  const template = loadMessage("x", size);
  const load = startLoad({
    port,
    connections,
    recipients: ["bob@mail.test"],
    idPrefix: label.replace(/\W+/g, "-"),
    message: (id) => loadMessage(id, template.length),
  });
  await new Promise((r) => setTimeout(r, 3_000)); // warm-up: JIT, pools, prepared statements
  const startCount = load.acked.length;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const acked = load.acked.length - startCount;
  const elapsed = (performance.now() - started) / 1000;
  load.stop();
  await load.done;
  const rate = acked / elapsed;
  const other = [...load.codes].filter(([code]) => code !== 250);
  log(
    `${label}: ${acked} messages in ${elapsed.toFixed(1)} s = ${rate.toFixed(0)}/s${other.length ? `; other replies ${other.join(" ")}` : ""}`,
  );
  return { rate, acked: load.acked.length };
}

function bigMessage(attachmentBytes: number): Buffer {
  const attachment = randomBytes(attachmentBytes).toString("base64").replace(/.{76}/g, "$&\r\n");
  return Buffer.from(
    "From: Load <load@example.org>\r\nTo: bob@mail.test\r\nSubject: big attachment\r\n" +
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
      "--b\r\nContent-Type: text/plain\r\n\r\nThe file is attached.\r\n" +
      '--b\r\nContent-Type: application/octet-stream; name="big.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      attachment +
      "\r\n--b--\r\n",
  );
}

/** Resident and peak resident memory (VmHWM) of a process, in bytes. */
async function readRss(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

async function spawnAndWait(
  argv: string[],
  env: NodeJS.ProcessEnv,
  ready: string,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, argv, {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after 60 s: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${output}`));
    });
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}
