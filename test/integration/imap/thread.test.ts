// THREAD=REFERENCES and THREAD=ORDEREDSUBJECT (RFC 5256) with Python's
// imaplib over a real socket: a reply chain by In-Reply-To and References,
// a reply without references joined by its base subject, a message whose
// only reference is missing (its dummy parent pruned), and UID THREAD with
// search criteria.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { deliverRaw } from "../../helpers/mail.ts";
import { python } from "../../helpers/smtp-clients.ts";
import { startImapGateway } from "../../helpers/imap.ts";

await useTestDatabase();
const gateway = await startImapGateway();
const bob = await makeAccount("bob");

const messages: { headers: string; day: number }[] = [
  { headers: "Message-ID: <a@x>\r\nSubject: Plan", day: 2 },
  { headers: "Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nSubject: Re: Plan", day: 3 },
  { headers: "Message-ID: <c@x>\r\nReferences: <a@x> <b@x>\r\nSubject: Re: Plan", day: 4 },
  { headers: "Message-ID: <d@x>\r\nSubject: Other", day: 5 },
  { headers: "Message-ID: <e@x>\r\nSubject: Re: Other", day: 6 },
  { headers: "Message-ID: <f@x>\r\nReferences: <missing@x>\r\nSubject: Lonely", day: 1 },
];
for (const m of messages) {
  const date = new Date(Date.UTC(2026, 10, m.day, 12));
  const raw = Buffer.from(
    `From: a@example.org\r\nTo: bob@mail.test\r\nDate: ${date.toUTCString()}\r\n${m.headers}\r\n\r\nbody\r\n`,
  );
  await deliverRaw([bob.id], raw, new Date(Date.UTC(2026, 10, 20)));
}

const SCRIPT = String.raw`
import imaplib, json, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login(sys.argv[2], sys.argv[3])
out = {"caps": M.capability()[1][0].decode().split()}
M.select("INBOX")
out["references"] = M.thread("REFERENCES", "UTF-8", "ALL")[1][0].decode()
out["orderedsubject"] = M.thread("ORDEREDSUBJECT", "US-ASCII", "ALL")[1][0].decode()
out["uid_subject"] = M.uid("THREAD", "REFERENCES", "UTF-8", "SUBJECT", "Plan")[1][0].decode()
try:
    M.thread("XYZ", "UTF-8", "ALL"); out["unknown"] = "accepted"
except imaplib.IMAP4.error as e:
    out["unknown"] = str(e)
M.logout()
print(json.dumps(out))
`;

test("imaplib THREAD: REFERENCES and ORDEREDSUBJECT, sorted by sent date", async () => {
  const r = await python<Record<string, string> & { caps: string[] }>(SCRIPT, [
    String(gateway.imapPort),
    "bob@mail.test",
    TEST_PASSWORD,
  ]);
  assert.ok(r.caps.includes("THREAD=REFERENCES"), r.caps.join(" "));
  assert.ok(r.caps.includes("THREAD=ORDEREDSUBJECT"), r.caps.join(" "));
  // 6's only reference is missing: its dummy parent is pruned and 6 is a
  // root; 5 has no references and joins 4 by base subject (RFC 5256 §4 step 5).
  assert.equal(r.references, "(6)(1 2 3)(4 5)");
  assert.equal(r.orderedsubject, "(6)(1 (2)(3))(4 5)");
  assert.equal(r.uid_subject, "(1 2 3)");
  assert.match(String(r.unknown), /Unknown threading algorithm/);
});
