// mbsync (isync) syncing every folder both ways with a local Maildir:
// downloads byte-exact, local flags, deletes and new messages reach the
// server; webmail-side changes (lib/store: flags, moves, deliveries) reach
// the Maildir.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { buildMail, deliverMail, deliverRaw } from "../../helpers/mail.ts";
import { startImapGateway } from "../../helpers/imap.ts";

const run = promisify(execFile);
await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { updateFlags } = await import("../../../lib/store/update-flags.ts");
const { moveMessagesToSpecial } = await import("../../../lib/store/move-messages.ts");
const gateway = await startImapGateway();
const dir = await mkdtemp(path.join(tmpdir(), "mbsync-"));
await mkdir(path.join(dir, "mail"));
after(() => rm(dir, { recursive: true, force: true }));

async function mbsync(): Promise<string> {
  const { stdout, stderr } = await run("mbsync", ["-c", path.join(dir, "mbsyncrc"), "-a"], {
    timeout: 60_000,
  });
  return stdout + stderr;
}

async function files(folder: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ["cur", "new"]) {
    try {
      for (const f of await readdir(path.join(dir, "mail", folder, sub)))
        out.push(path.join(folder, sub, f));
    } catch {
      // folder not there (yet)
    }
  }
  return out.sort();
}

const flagsOf = (file: string) => /:2,([A-Z]*)$/.exec(file)?.[1] ?? "";

test("mbsync syncs all folders both ways", async () => {
  const kim = await makeAccount("kim");
  const first = await buildMail({ subject: "first", text: "one" });
  await deliverRaw([kim.id], first);
  await deliverMail(kim.id, { subject: "second", text: "two" });
  await writeFile(
    path.join(dir, "mbsyncrc"),
    `IMAPAccount remote
Host 127.0.0.1
Port ${gateway.imapPort}
User kim@mail.test
Pass "${TEST_PASSWORD}"
SSLType None
AuthMechs PLAIN LOGIN

IMAPStore remote
Account remote

MaildirStore local
Path ${dir}/mail/
Inbox ${dir}/mail/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Remove None
Expunge Both
SyncState *
`,
  );
  await mbsync();
  const inbox = await files("INBOX");
  assert.equal(inbox.length, 2, inbox.join());
  for (const folder of ["Sent", "Drafts", "Archive", "Junk", "Trash"])
    assert.ok((await readdir(path.join(dir, "mail"))).includes(folder), folder);
  const downloaded = await Promise.all(inbox.map((f) => readFile(path.join(dir, "mail", f))));
  // mbsync stores Maildir files with LF line ends and its own X-TUID header.
  const lf = first.toString("latin1").replace(/\r\n/g, "\n");
  const local = downloaded.map((d) => d.toString("latin1").replace(/^X-TUID: .*\n/m, ""));
  assert.ok(local.includes(lf), "byte-exact download");

  // Local side: flag one, delete the other, add a new message to Archive.
  const [a, b] = inbox as [string, string];
  await rename(path.join(dir, "mail", a), path.join(dir, "mail", `${a.replace(/:2,.*$/, "")}:2,F`));
  await rename(
    path.join(dir, "mail", b),
    path.join(dir, "mail", `${b.replace(/:2,.*$/, "")}:2,ST`),
  );
  await writeFile(
    path.join(dir, "mail", "Archive", "new", "1700000000.local.test"),
    "From: kim@mail.test\r\nTo: kim@mail.test\r\nSubject: written locally\r\n\r\nLocal body.\r\n",
  );
  await mbsync();
  const boxes = await db.mailbox.findMany({ where: { accountId: kim.id } });
  const box = (name: string) => boxes.find((m) => m.name === name)!.id;
  const serverInbox = await db.message.findMany({
    where: { accountId: kim.id, mailboxId: box("Inbox") },
  });
  assert.equal(serverInbox.length, 1, "local delete expunged on the server");
  assert.equal(serverInbox[0]!.flagged, true, "local flag on the server");
  const archived = await db.message.findMany({
    where: { accountId: kim.id, mailboxId: box("Archive") },
  });
  assert.deepEqual(
    archived.map((m) => m.subject),
    ["written locally"],
  );

  // Webmail side: read, move to Trash, new delivery.
  await updateFlags(kim.id, [serverInbox[0]!.id], { seen: true });
  const third = await deliverMail(kim.id, { subject: "third", text: "three" });
  await moveMessagesToSpecial(kim.id, [archived[0]!.id], "TRASH");
  await mbsync();
  const inboxAfter = await files("INBOX");
  assert.equal(inboxAfter.length, 2, inboxAfter.join());
  assert.ok(
    inboxAfter.some((f) => flagsOf(f).includes("S") && flagsOf(f).includes("F")),
    inboxAfter.join(),
  );
  assert.equal((await files("Archive")).length, 0, "moved away on the server: gone locally");
  const trash = await files("Trash");
  assert.equal(trash.length, 1);
  assert.match((await readFile(path.join(dir, "mail", trash[0]!))).toString(), /written locally/);
  assert.ok(third.uid > 0);
});
