// npm run bench:imap
// 10,000 messages in one Inbox, served by our IMAP server (a private
// Postgres, the real delivery path) and by Dovecot (Debian's dovecot-imapd,
// started here with a temporary config and a Maildir of the same bytes and
// the same \Seen flags; the same argon2id password hash). Times, on each:
// SELECT + FETCH of the newest 50 ENVELOPEs, a UID SEARCH FROM + SUBJECT,
// and a UID SEARCH UNSEEN; prints
// the medians and the ratio (ours / Dovecot's). Then imaptest's stress run
// (Dovecot's load generator, /work/shared/tools/imaptest) against each: the
// same mbox, clients and seconds, on a fresh account of each server; prints
// both servers' command counts, average latencies and protocol errors.
//
// BENCH_DIR=path keeps the databases, Maildir and imaptest build there and
// reuses them on the next run (the 10,000 deliveries take a while).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedPostgres, ensureDatabase } from "../lib/db/embedded-postgres.ts";
import { migrate } from "../lib/db/migrate.ts";
import { getFreePort, waitForPort } from "../test/helpers/net.ts";
import { RawImapClient } from "../test/helpers/imap.ts";

const TOTAL = Number(process.env.BENCH_MESSAGES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const DOVECOT = process.env.DOVECOT_BIN ?? "/usr/sbin/dovecot";
const PASSWORD = "bench password bench password";
const STRESS_CLIENTS = Number(process.env.BENCH_STRESS_CLIENTS ?? 10);
const STRESS_SECS = Number(process.env.BENCH_STRESS_SECS ?? 30);
const IMAPTEST_DIR =
  process.env.IMAPTEST_DIR ??
  [
    path.resolve(import.meta.dirname, "../../shared/tools/imaptest"),
    "/work/shared/tools/imaptest",
  ].find((dir) => existsSync(path.join(dir, "run-imaptest.sh")));
const log = (line: string) => console.log(`[bench] ${line}`);

const SENDERS = [
  "alice",
  "bob",
  "carol",
  "dave",
  "erin",
  "frank",
  "grace",
  "heidi",
  "ivan",
  "judy",
];
const TOPICS = ["invoice", "meeting", "report", "holiday", "release", "budget", "review", "party"];

/** The i-th message: plain text, a few KB, varied senders and subjects. */
function message(i: number): Buffer {
  const sender = SENDERS[i % SENDERS.length]!;
  const topic = TOPICS[(i * 7) % TOPICS.length]!;
  const date = new Date(Date.UTC(2026, 0, 1) + i * 60_000);
  const body = `Hello,\r\n\r\nThis is message ${i} about the ${topic}.\r\n${"Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(20)}\r\n\r\n-- \r\n${sender}\r\n`;
  return Buffer.from(
    `From: ${sender[0]!.toUpperCase()}${sender.slice(1)} <${sender}@example.org>\r\n` +
      `To: bench@bench.test\r\nSubject: ${topic} number ${i}\r\nDate: ${date.toUTCString().replace("GMT", "+0000")}\r\n` +
      `Message-ID: <m${i}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`,
  );
}

const seen = (i: number) => i % 10 !== 0;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type Timings = { selectFetch: number; searchFromSubject: number; searchUnseen: number };

async function timeServer(name: string, port: number, user: string): Promise<Timings> {
  const runs: Timings[] = [];
  for (let run = 0; run < RUNS + 2; run++) {
    const client = await RawImapClient.connect(port);
    const login = await client.command(`LOGIN ${user} "${PASSWORD}"`);
    if (!/OK/.test(login.at(-1)!)) throw new Error(`${name}: ${login.join("\n")}`);
    let t = performance.now();
    const select = await client.command("SELECT INBOX");
    const exists = Number(/^\* (\d+) EXISTS/m.exec(select.join("\n"))?.[1] ?? 0);
    if (exists !== TOTAL) throw new Error(`${name}: ${exists} messages, expected ${TOTAL}`);
    const fetched = await client.command(`FETCH ${exists - 49}:* (UID FLAGS ENVELOPE)`);
    const selectFetch = performance.now() - t;
    if (fetched.filter((l) => /^\* \d+ FETCH /.test(l)).length !== 50)
      throw new Error(`${name}: FETCH ${fetched.slice(0, 3).join("\n")}`);
    t = performance.now();
    const found = await client.command('UID SEARCH FROM "carol" SUBJECT "review"');
    const searchFromSubject = performance.now() - t;
    t = performance.now();
    const unseen = await client.command("UID SEARCH UNSEEN");
    const searchUnseen = performance.now() - t;
    const count = (lines: string[]) => lines[0]!.split(" ").length - 2;
    if (run === 0) log(`${name}: FROM+SUBJECT ${count(found)} hits, UNSEEN ${count(unseen)} hits`);
    // The first two runs warm caches and indexes (Dovecot builds its index on first SELECT).
    if (run >= 2) runs.push({ selectFetch, searchFromSubject, searchUnseen });
    await client.command("LOGOUT");
    client.destroy();
  }
  return {
    selectFetch: median(runs.map((r) => r.selectFetch)),
    searchFromSubject: median(runs.map((r) => r.searchFromSubject)),
    searchUnseen: median(runs.map((r) => r.searchUnseen)),
  };
}

/** The Maildir of the bench's messages, written once (kept under BENCH_DIR). */
async function writeMaildir(maildir: string): Promise<void> {
  for (const sub of ["cur", "new", "tmp"])
    await mkdir(path.join(maildir, sub), { recursive: true });
  if ((await readdir(path.join(maildir, "cur"))).length === TOTAL) return;
  const base = Math.floor(Date.UTC(2026, 0, 1) / 1000);
  for (let i = 0; i < TOTAL; i++) {
    // Maildir names order by delivery time, like our uids; ":2,S" is \Seen.
    const file = `${base + i}.M${i}P1.bench,S=${message(i).length}:2,${seen(i) ? "S" : ""}`;
    await writeFile(path.join(maildir, "cur", file), message(i));
  }
}

/**
 * Dovecot with two users: `bench` (the Maildir of the timed runs) and
 * `stressUser`, an empty Maildir of its own for imaptest's stress run.
 */
async function startDovecot(
  dir: string,
  stressUser: string,
): Promise<{ port: number; child: ChildProcess }> {
  const port = await getFreePort();
  await writeMaildir(path.join(dir, "bench", "Maildir"));
  const stressHome = path.join(dir, "stress", stressUser);
  await mkdir(stressHome, { recursive: true });
  const dovecot = { uid: 104, gid: 111 };
  // The hash our accounts store (argon2id, lib/auth/password.ts), which
  // Dovecot verifies as {ARGON2ID}: both servers pay the same for a login.
  const { hashPassword } = await import("../lib/auth/password.ts");
  const hash = `{ARGON2ID}${await hashPassword(PASSWORD)}`;
  await writeFile(
    path.join(dir, "passwd"),
    [
      `bench:${hash}:${dovecot.uid}:${dovecot.gid}::${dir}/bench`,
      `${stressUser}:${hash}:${dovecot.uid}:${dovecot.gid}::${stressHome}`,
      "",
    ].join("\n"),
  );
  await writeFile(
    path.join(dir, "dovecot.conf"),
    [
      `base_dir = ${dir}/run`,
      `state_dir = ${dir}/state`,
      `log_path = ${dir}/dovecot.log`,
      "protocols = imap",
      `listen = 127.0.0.1`,
      "ssl = no",
      "disable_plaintext_auth = no",
      "auth_mechanisms = plain",
      "mail_location = maildir:~/Maildir",
      "first_valid_uid = 1",
      "default_login_user = dovenull",
      "default_internal_user = dovecot",
      `passdb {\n  driver = passwd-file\n  args = ${dir}/passwd\n}`,
      `userdb {\n  driver = passwd-file\n  args = ${dir}/passwd\n}`,
      `service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
      "service anvil {\n  chroot =\n}",
      "service imap-login {\n  chroot =\n}",
      "",
    ].join("\n"),
  );
  await chmod(dir, 0o755);
  execFileSync("chown", [
    "-R",
    `${dovecot.uid}:${dovecot.gid}`,
    path.join(dir, "bench"),
    path.join(dir, "stress"),
  ]);
  const child = spawn(DOVECOT, ["-F", "-c", path.join(dir, "dovecot.conf")], { stdio: "inherit" });
  await waitForPort(port, "127.0.0.1", 30_000);
  return { port, child };
}

/** imaptest built from the shared source archive, as run-imaptest.sh builds it (once). */
function ensureImaptest(buildDir: string): string {
  const bin = path.join(buildDir, "imaptest", "src", "imaptest");
  if (existsSync(bin)) return bin;
  if (!IMAPTEST_DIR) throw new Error("imaptest's source not found: set IMAPTEST_DIR");
  log(`building imaptest in ${buildDir}`);
  execFileSync("mkdir", ["-p", buildDir]);
  const archive = execFileSync("sh", ["-c", `ls ${IMAPTEST_DIR}/imaptest-*.tar.gz`])
    .toString()
    .trim();
  execFileSync("tar", ["xzf", archive, "-C", buildDir]);
  execFileSync(path.join(IMAPTEST_DIR, "port-imaptest-to-dovecot23.sh"), [
    path.join(buildDir, "imaptest"),
  ]);
  execFileSync(
    "sh",
    ["-c", "./autogen.sh && ./configure --with-dovecot=/usr/lib/dovecot && make -j2"],
    { cwd: path.join(buildDir, "imaptest"), stdio: ["ignore", "ignore", "inherit"] },
  );
  return bin;
}

/** imaptest's short state names (src/client-state.c); DELETE is STORE +FLAGS \\Deleted. */
const STATE_NAMES: Record<string, string> = {
  Logi: "LOGIN",
  List: "LIST",
  Stat: "STATUS",
  Sele: "SELECT",
  Fetc: "FETCH",
  Fet2: "FETCH2",
  Copy: "COPY",
  Stor: "STORE",
  Dele: "DELETE",
  Expu: "EXPUNGE",
  Appe: "APPEND",
  Logo: "LOGOUT",
};

type StressResult = {
  /** Per command (imaptest's state names): how many ran and their mean latency. */
  commands: Map<string, { count: number; msecs: number }>;
  errors: string[];
};

/**
 * imaptest's stress mode: STRESS_CLIENTS clients log in, select, fetch,
 * search, store, append and expunge at random for STRESS_SECS seconds,
 * checking every response against their model of the mailbox.
 */
async function stress(bin: string, port: number, user: string, mbox: string, out: string) {
  const results = `${out}.tsv`;
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      bin,
      [
        "host=127.0.0.1",
        `port=${port}`,
        `user=${user}`,
        `pass=${PASSWORD}`,
        `mbox=${mbox}`,
        `clients=${STRESS_CLIENTS}`,
        `secs=${STRESS_SECS}`,
        `output=${results}`,
      ],
      { env: { ...process.env, LD_LIBRARY_PATH: "/usr/lib/dovecot" } },
    );
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.on("error", reject);
    child.on("close", () => resolve(text));
  });
  await writeFile(`${out}.log`, output);
  // output=FILE: one row a second of (count, timed count, total msecs) for
  // each state shown. Its header is written before imaptest drops states it
  // cannot run (COPY without a destination), so the names are taken from
  // the short names over the totals on stdout, which list the states run.
  const totals = output.split("\n");
  const at = totals.lastIndexOf("Totals:");
  const names = (totals[at + 1] ?? "")
    .trim()
    .split(/\s+/)
    .map((n) => STATE_NAMES[n] ?? n);
  const rows = (await readFile(results, "utf8")).trim().split("\n").slice(1);
  const commands = new Map<string, { count: number; msecs: number }>();
  names.forEach((name, i) => {
    let count = 0;
    let timed = 0;
    let msecs = 0;
    for (const row of rows) {
      const cells = row.split("\t").map(Number);
      count += cells[i * 3]!;
      timed += cells[i * 3 + 1]!;
      msecs += cells[i * 3 + 2]!;
    }
    commands.set(name, { count, msecs: timed ? msecs / timed : 0 });
  });
  const errors = output.split("\n").filter((line) => /^Error: |^Panic: |^Fatal: /.test(line));
  return { commands, errors } satisfies StressResult;
}

/** An mbox of the bench's first messages, for imaptest's APPENDs. */
async function writeMbox(file: string, count: number): Promise<void> {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(
      Buffer.from(`From bench@example.org Thu Jan  1 00:00:00 2026\r\n`),
      message(i),
      Buffer.from("\r\n"),
    );
  }
  await writeFile(file, Buffer.concat(parts));
}

const keep = process.env.BENCH_DIR ? path.resolve(process.env.BENCH_DIR) : null;
const work = keep ?? (await mkdtemp(path.join(tmpdir(), "mail-bench-imap-")));
await mkdir(work, { recursive: true });
await chmod(work, 0o755);
const pgDir = path.join(work, "pg");
await mkdir(pgDir, { recursive: true });
await chmod(pgDir, 0o755);
const pgServer = await startEmbeddedPostgres({ dir: pgDir, port: await getFreePort() });
let dovecot: ChildProcess | null = null;
try {
  const url = await ensureDatabase(pgServer.adminUrl, "mail_bench");
  await migrate(url);
  process.env.DATABASE_URL = url;
  const { db, disconnectDb } = await import("../lib/db.ts");
  const { ensureHostedDomain } = await import("../lib/accounts/domains.ts");
  const { createAccount } = await import("../lib/accounts/create-account.ts");
  const { parseMessage } = await import("../lib/mime/parse-message.ts");
  const { storeDelivery } = await import("../lib/store/deliver.ts");
  const { startGateway } = await import("../mail-gateway/gateway.ts");
  const { parseConfig } = await import("../lib/config/index.ts");
  const { createSelfSignedCertificate } = await import("../mail-gateway/smtp/tls.ts");
  const { createStaticResolver } = await import("../lib/dns/resolver.ts");

  await ensureHostedDomain("bench.test");
  const existing = await db.account.findUnique({ where: { address: "bench@bench.test" } });
  const account =
    existing ??
    (await createAccount({
      localPart: "bench",
      domain: "bench.test",
      displayName: "Bench",
      password: PASSWORD,
      quotaBytes: 1n << 40n,
    }));
  const inbox = await db.mailbox.findFirstOrThrow({
    where: { accountId: account.id, specialUse: "INBOX" },
  });
  if (inbox.messageCount !== TOTAL) {
    if (inbox.messageCount !== 0)
      throw new Error(`${work} holds ${inbox.messageCount} messages, not ${TOTAL}: remove it`);
    await seed(account.id, inbox.id);
  }
  // A fresh account for each stress run: imaptest appends and expunges at will.
  const stressUser = `stress${Date.now()}`;
  await createAccount({
    localPart: stressUser,
    domain: "bench.test",
    displayName: "Stress",
    password: PASSWORD,
    quotaBytes: 1n << 40n,
  });

  async function seed(accountId: string, mailboxId: string): Promise<void> {
    log(`storing ${TOTAL} messages through the delivery path`);
    const started = Date.now();
    for (let i = 0; i < TOTAL; i += 64) {
      await Promise.all(
        Array.from({ length: Math.min(64, TOTAL - i) }, async (_, k) => {
          const raw = message(i + k);
          return storeDelivery({
            receivedAt: new Date(Date.UTC(2026, 0, 1) + (i + k) * 60_000),
            sources: [
              {
                bytes: { kind: "memory", prefix: Buffer.alloc(0), body: raw },
                parsed: await parseMessage(raw),
                accountIds: [],
                folderCopies: [
                  {
                    accountId,
                    mailboxId,
                    flags: {
                      seen: seen(i + k),
                      flagged: false,
                      answered: false,
                      draft: false,
                      deleted: false,
                      keywords: [],
                    },
                  },
                ],
                outbound: [],
              },
            ],
          });
        }),
      );
    }
    log(`stored in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // What the gateway's search indexer does after the burst; left to the
    // gateway started below, it would rewrite every Message row during the
    // timed runs (and leave them dead for the vacuum).
    const { indexWaitingMessages } = await import("../lib/store/search-indexer.ts");
    while ((await indexWaitingMessages()) > 0);
    // What autovacuum does on a live system after a burst of inserts (visibility map for index-only scans).
    await db.$executeRawUnsafe('VACUUM ANALYZE "Message"');
  }

  const gateway = await startGateway({
    config: parseConfig({ ...process.env, MAIL_DOMAIN: "bench.test", ALLOW_INSECURE_AUTH: "true" }),
    smtpPort: 0,
    submissionPort: null,
    imapPort: 0,
    imapsPort: null,
    // Every listener on a free port or none: a fixed default (POP3's 2110)
    // collides with a service already running on the machine.
    pop3Port: null,
    pop3TlsPort: null,
    relay: false,
    listenHost: "127.0.0.1",
    resolver: createStaticResolver({}),
    tls: createSelfSignedCertificate("bench.test"),
    spoolDir: path.join(work, "spool"),
    log: () => {},
  });

  log("writing the same messages to a Maildir and starting Dovecot");
  const dovecotDir = path.join(work, "dovecot");
  await mkdir(dovecotDir, { recursive: true });
  const started2 = await startDovecot(dovecotDir, stressUser);
  dovecot = started2.child;

  const ours = await timeServer("ours", gateway.imapPort!, "bench@bench.test");
  const theirs = await timeServer("dovecot", started2.port, "bench");
  const row = (label: string, a: number, b: number) =>
    log(
      `${label.padEnd(34)} ours ${a.toFixed(2).padStart(8)} ms   dovecot ${b.toFixed(2).padStart(8)} ms   ratio ${(a / b).toFixed(2)}`,
    );

  const imaptest = ensureImaptest(process.env.IMAPTEST_BUILD ?? "/tmp/imaptest");
  const mbox = path.join(work, "stress.mbox");
  await writeMbox(mbox, 200);
  await chmod(mbox, 0o644);
  log(`imaptest stress: ${STRESS_CLIENTS} clients, ${STRESS_SECS} s, each server`);
  const stressOurs = await stress(
    imaptest,
    gateway.imapPort!,
    `${stressUser}@bench.test`,
    mbox,
    path.join(work, "stress-ours"),
  );
  const stressTheirs = await stress(
    imaptest,
    started2.port,
    stressUser,
    mbox,
    path.join(work, "stress-dovecot"),
  );

  log(`${TOTAL} messages, median of ${RUNS} runs each`);
  row("SELECT + FETCH 50 newest ENVELOPE", ours.selectFetch, theirs.selectFetch);
  row('UID SEARCH FROM "carol" SUBJECT', ours.searchFromSubject, theirs.searchFromSubject);
  row("UID SEARCH UNSEEN", ours.searchUnseen, theirs.searchUnseen);
  log(`imaptest stress, ${STRESS_CLIENTS} clients, ${STRESS_SECS} s: commands (mean latency)`);
  for (const [name, a] of stressOurs.commands) {
    const b = stressTheirs.commands.get(name) ?? { count: 0, msecs: 0 };
    if (a.count === 0 && b.count === 0) continue;
    log(
      `  ${name.padEnd(12)} ours ${String(a.count).padStart(6)} (${a.msecs.toFixed(1).padStart(6)} ms)   dovecot ${String(b.count).padStart(6)} (${b.msecs.toFixed(1).padStart(6)} ms)   count ratio ${(a.count / Math.max(1, b.count)).toFixed(2)}   latency ratio ${b.msecs ? (a.msecs / b.msecs).toFixed(2) : "-"}`,
    );
  }
  log(`  protocol errors: ours ${stressOurs.errors.length}, dovecot ${stressTheirs.errors.length}`);
  for (const error of stressOurs.errors.slice(0, 10)) log(`    ours: ${error}`);
  await gateway.close();
  await disconnectDb();
  if (stressOurs.errors.length > 0) process.exitCode = 1;
} finally {
  dovecot?.kill("SIGTERM");
  await pgServer.stop();
  if (!keep) await rm(work, { recursive: true, force: true });
}
