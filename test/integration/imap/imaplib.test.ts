// IMAP with Python's imaplib over a real socket (STARTTLS and implicit TLS):
// login, LIST with special-use folders, SELECT, byte-exact FETCH, SEARCH,
// STORE, APPEND (APPENDUID), COPY and MOVE (COPYUID), EXPUNGE; and the
// webmail's view (lib/store) agrees with every change.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { buildMail, deliverRaw } from "../../helpers/mail.ts";
import { python } from "../../helpers/smtp-clients.ts";
import { startImapGateway } from "../../helpers/imap.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const gateway = await startImapGateway({ allowInsecureAuth: false });
const bob = await makeAccount("bob");

const raws: Buffer[] = [];
for (let i = 0; i < 3; i++) {
  const raw = await buildMail({
    from: i === 1 ? "Carol Example <carol@example.org>" : "Alice Sender <alice@example.org>",
    to: "bob@mail.test",
    subject: `Report ${i} café`,
    text: `Body number ${i}\r\nwith a second line ${i === 2 ? "needle" : ""}\r\n`,
    attachments: i === 2 ? [{ filename: "data.bin", content: Buffer.from([0, 1, 2, 255]) }] : [],
  });
  raws.push(raw);
  await deliverRaw([bob.id], raw, new Date(Date.UTC(2026, 10, 20 + i, 12)));
}

const SCRIPT = String.raw`
import imaplib, json, ssl, sys, re
port, imaps_port, user, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
out = {}
M = imaplib.IMAP4("127.0.0.1", port)
out["caps_before_tls"] = list(M.capabilities)
try:
    M.login(user, password); out["plain_login"] = "accepted"
except imaplib.IMAP4.error as e:
    out["plain_login"] = str(e)
M.starttls(ssl_context=ctx)
out["login"] = M.login(user, password)[0]
typ, boxes = M.list()
out["list"] = [b.decode() for b in boxes]
typ, data = M.select("INBOX")
out["exists"] = int(data[0])
typ, data = M.fetch("1:*", "(UID RFC822.SIZE BODY.PEEK[])")
out["fetched"] = [{"meta": d[0].decode(), "raw": d[1].hex()} for d in data if isinstance(d, tuple)]
out["search_from"] = M.search(None, "FROM", "carol")[1][0].decode()
out["search_body"] = M.uid("SEARCH", None, "BODY", "needle")[1][0].decode()
out["search_unseen"] = M.search(None, "UNSEEN")[1][0].decode()
out["search_since"] = M.search(None, "SINCE", "21-Nov-2026")[1][0].decode()
out["search_or"] = M.search(None, "OR", "SUBJECT", "\"Report 0\"", "LARGER", "100000")[1][0].decode()
out["search_header"] = M.search(None, "HEADER", "From", "\"Carol Example\"")[1][0].decode()
typ, data = M.store("1", "+FLAGS", "(\\Flagged \\Seen)")
out["store"] = [d.decode() for d in data]
out["search_flagged"] = M.search(None, "FLAGGED")[1][0].decode()
msg = b"From: me@mail.test\r\nTo: bob@mail.test\r\nSubject: appended\r\n\r\nHello from APPEND.\r\n"
typ, data = M.append("Drafts", "(\\Draft \\Seen)", imaplib.Time2Internaldate(1700000000), msg)
out["append"] = data[0].decode()
typ, data = M._simple_command("UID", "COPY", "1", "Archive")
out["copy"] = data[0].decode()
typ, data = M._simple_command("MOVE", "2", "Junk")
out["move_typ"] = typ
out["move_untagged"] = [x.decode() for x in M.untagged_responses.get("OK", [])]
out["exists_after_move"] = M.select("INBOX")[1][0].decode()
M.store("1", "+FLAGS", "\\Deleted")
typ, data = M.expunge()
out["expunge"] = [d.decode() if d else None for d in data]
out["inbox_after"] = M.select("INBOX")[1][0].decode()
typ, data = M.select("Drafts")
typ, data = M.fetch("1", "(FLAGS BODY.PEEK[])")
out["draft_raw"] = data[0][1].hex()
out["draft_meta"] = data[0][0].decode()
out["status"] = M.status("Archive", "(MESSAGES UIDNEXT UNSEEN)")[1][0].decode()
out["create"] = M.create("Projects/2026")[0]
out["rename"] = M.rename("Projects/2026", "Projects/2027")[0]
out["list_projects"] = [b.decode() for b in M.list("\"\"", "Projects*")[1]]
out["delete"] = M.delete("Projects/2027")[0]
out["delete_inbox"] = M.delete("INBOX")[0]
M.logout()
S = imaplib.IMAP4_SSL("127.0.0.1", imaps_port, ssl_context=ctx)
out["imaps_login"] = S.login(user, password)[0]
out["imaps_inbox"] = S.select("INBOX", readonly=True)[1][0].decode()
S.logout()
print(json.dumps(out))
`;

type Result = Record<string, unknown> & {
  fetched: { meta: string; raw: string }[];
  list: string[];
  store: string[];
  move_untagged: string[];
  list_projects: string[];
};

test("imaplib: login, list, select, fetch, search, store, append, copy, move, expunge", async () => {
  const r = await python<Result>(SCRIPT, [
    String(gateway.imapPort),
    String(gateway.imapsPort),
    "bob@mail.test",
    TEST_PASSWORD,
  ]);
  // Without TLS (and not configured for development) LOGIN is refused.
  assert.ok((r.caps_before_tls as string[]).includes("LOGINDISABLED"));
  assert.ok((r.caps_before_tls as string[]).includes("STARTTLS"));
  assert.match(String(r.plain_login), /PRIVACYREQUIRED|LOGINDISABLED/);
  assert.equal(r.login, "OK");
  assert.ok(r.list.includes('(\\HasNoChildren) "/" "INBOX"'), r.list.join("\n"));
  assert.ok(r.list.includes('(\\HasNoChildren \\Sent) "/" "Sent"'), r.list.join("\n"));
  assert.ok(r.list.includes('(\\HasNoChildren \\Trash) "/" "Trash"'), r.list.join("\n"));
  assert.equal(r.exists, 3);
  assert.equal(r.fetched.length, 3);
  r.fetched.forEach((f, i) => {
    assert.equal(Buffer.from(f.raw, "hex").compare(raws[i]!), 0, `message ${i + 1} byte-exact`);
    assert.match(f.meta, new RegExp(`UID ${i + 1} RFC822.SIZE ${raws[i]!.length}`));
  });
  assert.equal(r.search_from, "2");
  assert.equal(r.search_body, "3");
  assert.equal(r.search_unseen, "1 2 3", "BODY.PEEK leaves messages unseen");
  assert.equal(r.search_since, "2 3");
  assert.equal(r.search_or, "1");
  assert.equal(r.search_header, "2");
  assert.ok(
    r.store.some((s) => /^1 \(FLAGS \(.*\\Seen.*\)\)$/.test(s) && s.includes("\\Flagged")),
    r.store.join(),
  );
  assert.equal(r.search_flagged, "1");
  assert.match(String(r.append), /^\[APPENDUID \d+ 1\] /);
  assert.match(String(r.copy), /^\[COPYUID \d+ 1 1\] /);
  assert.equal(r.move_typ, "OK");
  assert.ok(
    r.move_untagged.some((l) => /^\[COPYUID \d+ 2 1\]/.test(l)),
    r.move_untagged.join(),
  );
  assert.equal(r.exists_after_move, "2", JSON.stringify({ ...r, fetched: null }));
  assert.deepEqual(r.expunge, ["1"]);
  assert.equal(r.inbox_after, "1");
  assert.equal(
    Buffer.from(String(r.draft_raw), "hex").toString(),
    "From: me@mail.test\r\nTo: bob@mail.test\r\nSubject: appended\r\n\r\nHello from APPEND.\r\n",
  );
  assert.match(String(r.draft_meta), /FLAGS \((\\Recent )?(\\Seen \\Draft|\\Draft \\Seen)\)/);
  assert.match(String(r.status), /MESSAGES 1 UIDNEXT 2 UNSEEN 0/);
  assert.equal(r.create, "OK");
  assert.equal(r.rename, "OK");
  assert.ok(
    r.list_projects.some((l) => l.endsWith('"/" "Projects/2027"')),
    r.list_projects.join(),
  );
  assert.equal(r.delete, "OK");
  assert.equal(r.delete_inbox, "NO");
  assert.equal(r.imaps_login, "OK");
  assert.equal(r.imaps_inbox, "1");

  // The webmail's store sees the same: Inbox holds the third message only,
  // Archive the copy (flagged, read), Junk the moved one, Drafts the draft.
  const boxes = await db.mailbox.findMany({ where: { accountId: bob.id } });
  const count = (name: string) => boxes.find((b) => b.name === name)!.messageCount;
  assert.equal(count("Inbox"), 1);
  assert.equal(count("Archive"), 1);
  assert.equal(count("Junk"), 1);
  assert.equal(count("Drafts"), 1);
  const archived = await db.message.findFirst({
    where: { accountId: bob.id, mailboxId: boxes.find((b) => b.name === "Archive")!.id },
  });
  assert.equal(archived!.flagged, true);
  assert.equal(archived!.seen, true);
  const account = await db.account.findUnique({ where: { id: bob.id } });
  const messages = await db.message.findMany({ where: { accountId: bob.id } });
  assert.equal(
    Number(account!.usedBytes),
    messages.reduce((n, m) => n + m.size, 0),
    "quota exact",
  );
});
