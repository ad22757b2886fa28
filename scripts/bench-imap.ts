// npm run bench:imap
// 10,000 messages in one Inbox, served by our IMAP server (a private
// Postgres, the real delivery path) and by Dovecot (Debian's dovecot-imapd,
// started here with a temporary config and a Maildir of the same bytes and
// the same \Seen flags). Times, on each: SELECT + FETCH of the newest 50
// ENVELOPEs, a UID SEARCH FROM + SUBJECT, and a UID SEARCH UNSEEN; prints
// the medians and the ratio (ours / Dovecot's).
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
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

async function startDovecot(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await getFreePort();
  const maildir = path.join(dir, "Maildir");
  for (const sub of ["cur", "new", "tmp"])
    await mkdir(path.join(maildir, sub), { recursive: true });
  const base = Math.floor(Date.UTC(2026, 0, 1) / 1000);
  for (let i = 0; i < TOTAL; i++) {
    // Maildir names order by delivery time, like our uids; ":2,S" is \Seen.
    const file = `${base + i}.M${i}P1.bench,S=${message(i).length}:2,${seen(i) ? "S" : ""}`;
    await writeFile(path.join(maildir, "cur", file), message(i));
  }
  const dovecot = { uid: 104, gid: 111 };
  await writeFile(
    path.join(dir, "passwd"),
    `bench:{PLAIN}${PASSWORD}:${dovecot.uid}:${dovecot.gid}::${dir}\n`,
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
      `mail_location = maildir:${maildir}`,
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
  const chownAll = async (p: string) => chown(p, dovecot.uid, dovecot.gid);
  await chownAll(maildir);
  for (const sub of ["cur", "new", "tmp"]) await chownAll(path.join(maildir, sub));
  const { execFileSync } = await import("node:child_process");
  execFileSync("chown", ["-R", `${dovecot.uid}:${dovecot.gid}`, maildir]);
  const child = spawn(DOVECOT, ["-F", "-c", path.join(dir, "dovecot.conf")], { stdio: "inherit" });
  await waitForPort(port, "127.0.0.1", 30_000);
  return { port, child };
}

const work = await mkdtemp(path.join(tmpdir(), "mail-bench-imap-"));
await chmod(work, 0o755);
const pgDir = path.join(work, "pg");
await mkdir(pgDir);
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
  const account = await createAccount({
    localPart: "bench",
    domain: "bench.test",
    displayName: "Bench",
    password: PASSWORD,
    quotaBytes: 1n << 40n,
  });
  log(`storing ${TOTAL} messages through the delivery path`);
  const started = Date.now();
  const inbox = await db.mailbox.findFirstOrThrow({
    where: { accountId: account.id, specialUse: "INBOX" },
  });
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
                  accountId: account.id,
                  mailboxId: inbox.id,
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
  await mkdir(dovecotDir);
  const started2 = await startDovecot(dovecotDir);
  dovecot = started2.child;

  const ours = await timeServer("ours", gateway.imapPort!, "bench@bench.test");
  const theirs = await timeServer("dovecot", started2.port, "bench");
  const row = (label: string, a: number, b: number) =>
    log(
      `${label.padEnd(34)} ours ${a.toFixed(2).padStart(8)} ms   dovecot ${b.toFixed(2).padStart(8)} ms   ratio ${(a / b).toFixed(2)}`,
    );
  log(`${TOTAL} messages, median of ${RUNS} runs each`);
  row("SELECT + FETCH 50 newest ENVELOPE", ours.selectFetch, theirs.selectFetch);
  row('UID SEARCH FROM "carol" SUBJECT', ours.searchFromSubject, theirs.searchFromSubject);
  row("UID SEARCH UNSEEN", ours.searchUnseen, theirs.searchUnseen);
  await gateway.close();
  await disconnectDb();
} finally {
  dovecot?.kill("SIGTERM");
  await pgServer.stop();
  await rm(work, { recursive: true, force: true });
}
