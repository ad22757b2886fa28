// Real POP3 clients against the gateway over STLS (production mode): curl
// (list, retrieve), mpop and fetchmail (keep mode across runs with UIDL,
// download-and-delete), each with a throw-away configuration.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { useTestDatabase } from "../../helpers/db.ts";

const run = promisify(execFile);

await useTestDatabase();
const { makeAccount, TEST_PASSWORD } = await import("../../helpers/accounts.ts");
const { deliverMail } = await import("../../helpers/mail.ts");
const { startPop3Gateway } = await import("../../helpers/pop3.ts");
const { db } = await import("../../../lib/db.ts");

const gateway = await startPop3Gateway({ insecure: false });
const port = gateway.pop3Port;
const work = await mkdtemp(path.join(tmpdir(), "pop3-clients-"));
after(() => rm(work, { recursive: true, force: true }));

async function storedSources(accountId: string, specialUse: "INBOX" | "TRASH") {
  const rows = await db.message.findMany({
    where: { accountId, mailbox: { specialUse } },
    orderBy: { uid: "asc" },
    select: { id: true, source: { select: { raw: true } } },
  });
  return rows.map((r) => ({ id: r.id, raw: Buffer.from(r.source.raw) }));
}

async function curl(args: string[]): Promise<Buffer> {
  const { stdout } = await run(
    "curl",
    ["--silent", "--show-error", "--insecure", "--ssl-reqd", "--max-time", "30", ...args],
    { encoding: "buffer", maxBuffer: 32 * 1024 * 1024 },
  );
  return stdout;
}

test("curl pop3:// (STLS): LIST, UIDL and RETR of each message, byte-exact", async () => {
  const ann = await makeAccount("ann");
  await deliverMail(ann.id, { to: ann.address, subject: "one", text: "hello\r\n.dot line\r\n" });
  await deliverMail(ann.id, {
    to: ann.address,
    subject: "two",
    attachments: [{ filename: "a.bin", content: Buffer.alloc(70_000, 7) }],
  });
  const stored = await storedSources(ann.id, "INBOX");
  const url = `pop3://127.0.0.1:${port}/`;
  const user = ["--user", `${ann.address}:${TEST_PASSWORD}`];

  const list = (await curl([...user, url])).toString();
  assert.equal(list, stored.map((m, i) => `${i + 1} ${m.raw.length}\r\n`).join(""));
  const uidl = (await curl([...user, "--request", "UIDL", url])).toString();
  assert.equal(uidl, stored.map((m, i) => `${i + 1} ${m.id}\r\n`).join(""));
  for (const [i, message] of stored.entries()) {
    const retrieved = await curl([...user, `${url}${i + 1}`]);
    assert.ok(retrieved.equals(message.raw), `message ${i + 1} byte-exact`);
  }
  assert.equal((await storedSources(ann.id, "INBOX")).length, 2, "curl deletes nothing");
});

async function mpop(name: string, options: { keep: boolean }) {
  const maildir = path.join(work, name, "maildir");
  for (const sub of ["cur", "new", "tmp"])
    await mkdir(path.join(maildir, sub), { recursive: true });
  const config = path.join(work, name, "mpoprc");
  await writeFile(
    config,
    [
      "defaults",
      "tls on",
      "tls_starttls on",
      "tls_certcheck off",
      "auth plain",
      "received_header off",
      `uidls_file ${path.join(work, name, "uidls")}`,
      "account default",
      "host 127.0.0.1",
      `port ${port}`,
      `user ${name}@mail.test`,
      `password ${TEST_PASSWORD}`,
      `keep ${options.keep ? "on" : "off"}`,
      `delivery maildir ${maildir}`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const { stdout, stderr } = await run("mpop", ["--file", config, "--quiet", "default"], {
    timeout: 60_000,
  });
  const files = (await readdir(path.join(maildir, "new"))).sort();
  const delivered = await Promise.all(files.map((f) => readFile(path.join(maildir, "new", f))));
  return { output: stdout + stderr, delivered };
}

/** Maildir files use the local line end: compare with CRLF made LF. */
const lf = (b: Buffer) => b.toString("latin1").replace(/\r\n/g, "\n");

test("mpop: keep mode fetches each message once across runs and leaves them on the server", async () => {
  const bo = await makeAccount("bo");
  await deliverMail(bo.id, { to: bo.address, subject: "first" });
  await deliverMail(bo.id, { to: bo.address, subject: "second" });
  const first = await mpop("bo", { keep: true });
  const stored = await storedSources(bo.id, "INBOX");
  assert.deepEqual(first.delivered.map(lf).sort(), stored.map((m) => lf(m.raw)).sort());

  await deliverMail(bo.id, { to: bo.address, subject: "third" });
  const second = await mpop("bo", { keep: true });
  // Stable UIDLs: only the new message is fetched the second time.
  assert.equal(second.delivered.length, 3);
  const after = await storedSources(bo.id, "INBOX");
  assert.equal(after.length, 3, "keep mode deletes nothing");
  assert.deepEqual(second.delivered.map(lf).sort(), after.map((m) => lf(m.raw)).sort());
});

test("mpop: download and delete empties the Inbox into the mail client (server copies in Trash)", async () => {
  const cy = await makeAccount("cy");
  for (let i = 0; i < 3; i++) await deliverMail(cy.id, { to: cy.address, subject: `m${i}` });
  const stored = await storedSources(cy.id, "INBOX");
  const fetched = await mpop("cy", { keep: false });
  assert.deepEqual(fetched.delivered.map(lf).sort(), stored.map((m) => lf(m.raw)).sort());
  assert.equal((await storedSources(cy.id, "INBOX")).length, 0);
  assert.deepEqual(
    (await storedSources(cy.id, "TRASH")).map((m) => m.id).sort(),
    stored.map((m) => m.id).sort(),
  );
  const again = await mpop("cy", { keep: false });
  assert.equal(again.delivered.length, 3, "nothing new the second time");
});

async function fetchmail(name: string, options: { keep: boolean }) {
  const dir = path.join(work, `fetchmail-${name}`);
  const inbox = path.join(dir, "mail");
  await mkdir(inbox, { recursive: true });
  const rc = path.join(dir, "fetchmailrc");
  await writeFile(
    rc,
    [
      `set idfile "${path.join(dir, "idfile")}"`,
      `poll 127.0.0.1 service ${port} protocol POP3 uidl auth password`,
      `  user "${name}@mail.test" there with password "${TEST_PASSWORD}" is "root" here`,
      `  sslproto "tls1.2+" no sslcertck no rewrite`,
      `  mda "/bin/sh -c 'cat > ${inbox}/$(date +%s%N)'"`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const args = ["-f", rc, "--invisible", "--nosyslog", "--pidfile", path.join(dir, "pid")];
  if (options.keep) args.push("--keep");
  // Exit 0: mail fetched; 1: no mail; anything else is a failure.
  const code = await run("fetchmail", args, {
    timeout: 60_000,
    env: { ...process.env, HOME: dir, FETCHMAILHOME: dir },
  }).then(
    () => 0,
    (error: { code?: number; stderr?: string }) => {
      if (error.code === 1) return 1;
      throw new Error(`fetchmail failed (${error.code}): ${error.stderr}`);
    },
  );
  const files = await readdir(inbox);
  const delivered = await Promise.all(files.map((f) => readFile(path.join(inbox, f))));
  await rm(inbox, { recursive: true, force: true });
  return { code, delivered };
}

test("fetchmail: --keep fetches new mail once (UIDL); without --keep it deletes what it fetched", async () => {
  const dot = await makeAccount("dot");
  await deliverMail(dot.id, { to: dot.address, subject: "f1" });
  await deliverMail(dot.id, { to: dot.address, subject: "f2" });
  const stored = await storedSources(dot.id, "INBOX");
  const first = await fetchmail("dot", { keep: true });
  assert.equal(first.code, 0);
  assert.deepEqual(first.delivered.map(lf).sort(), stored.map((m) => lf(m.raw)).sort());
  const again = await fetchmail("dot", { keep: true });
  assert.equal(again.delivered.length, 0, "the kept messages are not fetched twice");
  assert.equal((await storedSources(dot.id, "INBOX")).length, 2);

  await deliverMail(dot.id, { to: dot.address, subject: "f3" });
  const fetched = await fetchmail("dot", { keep: false });
  assert.equal(fetched.delivered.length, 1, "only the new message is fetched");
  // fetchmail deletes what it downloaded in that run (old kept ones only with --flush).
  const trash = await storedSources(dot.id, "TRASH");
  assert.equal(trash.length, 1);
  assert.equal(lf(trash[0]!.raw), lf(fetched.delivered[0]!));
  assert.equal((await storedSources(dot.id, "INBOX")).length, 2);
});
