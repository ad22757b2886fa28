// npm run bench:smtp [-- --connections 100 --seconds 15 --size 5120]
// Inbound SMTP throughput and memory, against a private Postgres:
//  1. the gateway (its production bundle, in its own process): messages per
//     second answered 250, i.e. durably committed, from many connections;
//  2. Postfix (Debian's, a private instance: scripts/lib/postfix-instance.ts)
//     under the same load, whose 250 also means durable (its queue file is
//     fsynced), delivering into a maildir; and the ratio of the two;
//  3. the gateway's peak RSS while 20 clients each send a message with a
//     25 MiB attachment at once.
// Each measured run also prints the CPU milliseconds per message that the
// gateway, Postgres (all its processes), Postfix (all its processes) and the load client
// spent; --cpu-prof DIR writes V8 profiles of the gateway.
// The load generator (test/helpers/smtp-load.ts) runs in this process.
import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureDatabase, startEmbeddedPostgres } from "../lib/db/embedded-postgres.ts";
import { migrate } from "../lib/db/migrate.ts";
import { getFreePort } from "../test/helpers/net.ts";
import { ensureGatewayBuild, gatewayProcess } from "./lib/gateway-build.ts";
import { postfixAvailable, startPostfix } from "./lib/postfix-instance.ts";
import { loadMessage, startLoad } from "../test/helpers/smtp-load.ts";

const root = path.resolve(import.meta.dirname, "..");

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "100" },
    seconds: { type: "string", default: "15" },
    size: { type: "string", default: String(5 * 1024) },
    "big-clients": { type: "string", default: "20" },
    "big-mib": { type: "string", default: "25" },
    // Writes V8 CPU profiles of the gateway (both runs) into this folder.
    "cpu-prof": { type: "string" },
    // Prints the SQL statements the gateway's run sent, per stored message
    // (pg_stat_statements).
    "pg-stats": { type: "boolean", default: false },
    // "nxdomain": a local DNS server answers that no name exists (the
    // sender's domain publishes no SPF/DKIM/DMARC), as the cached answers of a
    // real resolver would; "unreachable": every lookup fails (temperror).
    dns: { type: "string", default: "nxdomain" },
  },
});

/** Children being stopped on purpose (their exit is no failure). */
const stopping = new WeakSet<ChildProcess>();

await main();

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
  const pgStats = args["pg-stats"];
  const pg = await startEmbeddedPostgres({
    dir: path.join(work, "pg"),
    port: await getFreePort(),
    settings: pgStats ? { shared_preload_libraries: "pg_stat_statements" } : {},
  });
  const dns = args.dns === "unreachable" ? null : await startNxdomainServer();
  process.env.DNS_SERVERS = dns ? `127.0.0.1:${dns.port}` : "127.0.0.1:9";
  try {
    const databaseUrl = await ensureDatabase(pg.adminUrl, "bench");
    await migrate(databaseUrl);
    process.env.DATABASE_URL = databaseUrl;
    const { makeAccount } = await import("../test/helpers/accounts.ts");
    const bob = await makeAccount("bob", { quotaBytes: 1n << 40n });
    const { db, disconnectDb } = await import("../lib/db.ts");
    if (pgStats) {
      await db.$executeRawUnsafe("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      await db.$queryRawUnsafe("SELECT pg_stat_statements_reset()");
    }
    log(`postgres ready; ${connections} connections, ${size}-byte messages, ${seconds} s per run`);

    // 1. The gateway, run as in production (its bundle).
    await ensureGatewayBuild(root, log);
    const gatewayPort = await getFreePort();
    const gateway = await spawnAndWait(
      [...profileArgs(), ...gatewayProcess(root).args],
      gatewayEnv(databaseUrl, work, gatewayPort, {}),
      "smtp listening",
    );
    children.push(gateway);
    const postmasterPid = Number(
      (await readFile(path.join(work, "pg", "cluster", "postmaster.pid"), "utf8")).split("\n")[0],
    );
    const stored = await measure("gateway", gatewayPort, connections, seconds, size, {
      gateway: gateway.pid!,
      postgres: postmasterPid,
    });
    const count = await db.message.count({ where: { accountId: bob.id } });
    if (count < stored.acked) throw new Error(`${stored.acked} acknowledged but ${count} stored`);
    if (pgStats) await printStatements(db, stored.acked);
    if (pgStats && dns) {
      const asked = [...dns.questions].sort((a, b) => b[1] - a[1]);
      log(
        `DNS questions: ${asked.reduce((n, [, c]) => n + c, 0)} for ${stored.acked} messages; most asked:`,
      );
      for (const [name, n] of asked.slice(0, 8)) log(`  ${n} ${name}`);
    }
    await stop(gateway);

    // 2. Postfix on the same load: 250 once its queue file is on disk.
    if (!postfixAvailable())
      throw new Error("bench:smtp needs Debian's postfix (/usr/sbin/postfix)");
    const postfix = await startPostfix({
      dir: path.join(work, "postfix"),
      port: await getFreePort(),
      domain: "mail.test",
      maxMessageBytes: 30 * 1024 * 1024,
      processLimit: connections + 20,
    });
    let anchor: Awaited<ReturnType<typeof measure>>;
    let postfixDelivered = 0;
    try {
      anchor = await measure("postfix", postfix.port, connections, seconds, size, {
        postfix: await postfix.masterPid(),
      });
      // Every message it took is delivered to the maildir before it is stopped.
      for (let i = 0; i < 600 && postfixDelivered < anchor.acked; i++) {
        await new Promise((r) => setTimeout(r, 100));
        postfixDelivered = await postfix.delivered();
      }
    } finally {
      await postfix.stop();
    }
    log(`postfix: ${postfixDelivered} of ${anchor.acked} accepted messages in the maildir`);

    // 3. Memory: 20 clients, one message each with a 25 MiB attachment.
    const bigClients = Number(args["big-clients"]);
    const attachmentBytes = Number(args["big-mib"]) * 1024 * 1024;
    const bigPort = await getFreePort();
    // Base64 makes a 25 MiB attachment a 34 MiB message: the limit is raised to let it in.
    const big = await spawnAndWait(
      gatewayProcess(root).args,
      gatewayEnv(databaseUrl, work, bigPort, {
        MAX_MESSAGE_BYTES: String(Math.ceil(attachmentBytes * 1.4) + 65536),
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

    const ratio = stored.rate / anchor.rate;
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
    const results = {
      date: new Date().toISOString(),
      connections,
      messageBytes: size,
      seconds,
      gatewayStoredPerSecond: Math.round(stored.rate),
      postfixQueuedPerSecond: Math.round(anchor.rate),
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
    console.log(`postfix, durably queued : ${results.postfixQueuedPerSecond} messages/s`);
    console.log(`ratio                   : ${ratio.toFixed(2)} (target >= 1.0)`);
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
    for (const child of children) {
      stopping.add(child);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    dns?.socket.close();
    await pg.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * A DNS server on a local UDP port that answers NXDOMAIN to every query
 * (RFC 1035 §4.1.1: the header with QR and RCODE 3, the question echoed).
 */
async function startNxdomainServer(): Promise<{
  port: number;
  socket: dgram.Socket;
  questions: Map<string, number>;
}> {
  const socket = dgram.createSocket("udp4");
  const questions = new Map<string, number>();
  socket.on("message", (query, peer) => {
    if (query.length < 12) return;
    const name: string[] = [];
    for (let at = 12; at < query.length && query[at] !== 0; at += query[at]! + 1)
      name.push(query.subarray(at + 1, at + 1 + query[at]!).toString("latin1"));
    const key = name.join(".");
    questions.set(key, (questions.get(key) ?? 0) + 1);
    let end = 12; // the question: labels up to the root, then type and class
    while (end < query.length && query[end] !== 0) end += query[end]! + 1;
    const question = query.subarray(12, end + 5);
    const reply = Buffer.alloc(12);
    query.copy(reply, 0, 0, 2); // id
    reply[2] = 0x80 | (query[2]! & 0x79); // QR, opcode and RD copied
    reply[3] = 0x80 | 3; // RA, RCODE NXDOMAIN
    reply.writeUInt16BE(query.readUInt16BE(4), 4); // QDCOUNT
    socket.send(Buffer.concat([reply, question]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return { port: socket.address().port, socket, questions };
}

/** The statements Postgres ran since the reset, most frequent first, per stored message. */
async function printStatements(
  db: { $queryRawUnsafe: <T>(query: string) => Promise<T> },
  messages: number,
): Promise<void> {
  const rows = await db.$queryRawUnsafe<{ calls: bigint; ms: number; query: string }[]>(
    `SELECT calls, total_exec_time AS ms, query FROM pg_stat_statements
     WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC LIMIT 25`,
  );
  log(`statements per stored message (${messages} messages):`);
  for (const row of rows) {
    const perMessage = Number(row.calls) / Math.max(1, messages);
    const text = row.query.replace(/\s+/g, " ").slice(0, 110);
    log(
      `  ${perMessage.toFixed(3)} calls, ${(row.ms / Number(row.calls)).toFixed(3)} ms each: ${text}`,
    );
  }
}

function profileArgs(): string[] {
  const dir = args["cpu-prof"];
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(dir)}`] : [];
}

function gatewayEnv(
  databaseUrl: string,
  work: string,
  port: number,
  extra: Record<string, string>,
): NodeJS.ProcessEnv {
  return {
    ...gatewayProcess(root).env,
    DATABASE_URL: databaseUrl,
    SMTP_PORT: String(port),
    LISTEN_HOST: "127.0.0.1",
    DATA_DIR: path.join(work, "data"),
    MAIL_DOMAIN: "mail.test",
    MAIL_HOSTNAME: "mx.mail.test",
    DNS_SERVERS: process.env.DNS_SERVERS,
    // The other listeners on free ports: a fixed port another checkout's
    // gateway holds would stop this one just after its SMTP port is ready.
    SUBMISSION_PORT: "0",
    // No health listener (0 runs none).
    GATEWAY_HTTP_PORT: "0",
    POP3_PORT: "0",
    POP3S_PORT: "0",
    IMAP_PORT: "0",
    IMAPS_PORT: "0",
    ...extra,
  };
}

/**
 * Runs the load for `seconds` after a short warm-up; messages answered 250
 * per second, and the CPU time each watched process tree (a process and its
 * children: Postgres backends) spent per message meanwhile.
 */
async function measure(
  label: string,
  port: number,
  connections: number,
  seconds: number,
  size: number,
  watched: Record<string, number>,
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
  const cpuBefore = await cpuSeconds(watched);
  const ownBefore = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const acked = load.acked.length - startCount;
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = await cpuSeconds(watched);
  const own = process.cpuUsage(ownBefore);
  const cpu = Object.entries(cpuAfter).map(([name, value]) => {
    const msPerMessage = ((value - cpuBefore[name]!) * 1000) / Math.max(1, acked);
    return `${name} ${msPerMessage.toFixed(2)}`;
  });
  cpu.push(`load client ${((own.user + own.system) / 1000 / Math.max(1, acked)).toFixed(2)}`);
  load.stop();
  await load.done;
  const rate = acked / elapsed;
  const other = [...load.codes].filter(([code]) => code !== 250);
  log(
    `${label}: ${acked} messages in ${elapsed.toFixed(1)} s = ${rate.toFixed(0)}/s${other.length ? `; other replies ${other.join(" ")}` : ""}`,
  );
  log(`${label}: CPU ms per message: ${cpu.join(", ")}`);
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

/** CPU seconds (user + system) used so far by each process and its live children. */
async function cpuSeconds(roots: Record<string, number>): Promise<Record<string, number>> {
  const ticksPerSecond = 100; // USER_HZ, 100 on Linux
  const stats = new Map<number, { ppid: number; own: number; reaped: number }>();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const text = await readFile(`/proc/${name}/stat`, "utf8").catch(() => null);
    if (!text) continue;
    // Fields after the parenthesised command: state ppid ... utime(14) stime(15) cutime(16) cstime(17).
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const at = (n: number) => Number(fields[n - 3]);
    stats.set(Number(name), { ppid: at(4), own: at(14) + at(15), reaped: at(16) + at(17) });
  }
  const out: Record<string, number> = {};
  for (const [label, root] of Object.entries(roots)) {
    let ticks = (stats.get(root)?.own ?? 0) + (stats.get(root)?.reaped ?? 0);
    for (const stat of stats.values()) if (stat.ppid === root) ticks += stat.own;
    out[label] = ticks / ticksPerSecond;
  }
  return out;
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
  // A figure from a process that died mid-run would be meaningless: say so.
  child.once("exit", (code, signal) => {
    if (!stopping.has(child)) {
      log(`${argv.at(-1)} exited (${code ?? signal}) during the run:\n${output.slice(-4000)}`);
    }
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  stopping.add(child);
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}
