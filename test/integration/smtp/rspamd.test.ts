// The optional external scanner against Debian's real rspamd, started by the
// test: with RSPAMD_URL set, rspamd's action joins the built-in classifier's
// opinion (GTUBE, which rspamd rejects, lands in Junk with rspamd's reason;
// ordinary mail stays in the Inbox); with rspamd gone, mail is still
// delivered, judged by the classifier alone. Without RSPAMD_URL (every other
// test file) rspamd is never asked.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { buildMail } from "../../helpers/mail.ts";
import { startRspamd } from "../../helpers/rspamd.ts";
import { startTestGateway } from "../../helpers/smtp-harness.ts";
import { connectNodemailer } from "../../helpers/smtp-clients.ts";

await useTestDatabase();
const rspamd = await startRspamd();
process.env.RSPAMD_URL = rspamd.url;
const { db } = await import("../../../lib/db.ts");
const gateway = await startTestGateway();
const GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

async function receive(to: string, subject: string, text: string) {
  const smtp = await connectNodemailer(gateway.smtpPort);
  try {
    const raw = await buildMail({ from: "Sender <sender@example.org>", to, subject, text });
    const sent = await smtp.send({ from: "sender@example.org", to: [to] }, raw);
    assert.deepEqual(sent.accepted, [to]);
  } finally {
    smtp.close();
  }
  const copy = await db.message.findFirstOrThrow({
    where: { account: { address: to }, subject },
    select: { spamVerdict: true, mailbox: { select: { specialUse: true } } },
  });
  const verdict = copy.spamVerdict as { reasons: { code: string; text: string }[] };
  return { folder: copy.mailbox.specialUse, reasons: verdict.reasons.map((r) => r.text) };
}

test("rspamd's reject files the message in Junk with its reason; ordinary mail stays in the Inbox", async () => {
  const eve = await makeAccount("eve");
  const spam = await receive(eve.address, "Test pattern", `This is a test.\n${GTUBE}\n`);
  assert.equal(spam.folder, "JUNK");
  assert.ok(
    spam.reasons.some((r) => /^rspamd: reject \(score/.test(r)),
    spam.reasons.join(" | "),
  );
  const ham = await receive(eve.address, "Lunch", "Shall we meet at noon by the station?");
  assert.equal(ham.folder, "INBOX");
});

test("with rspamd down, mail is delivered on the classifier's opinion alone", async () => {
  const fay = await makeAccount("fay");
  await rspamd.stop();
  const mail = await receive(fay.address, "While rspamd is down", `Still here.\n${GTUBE}\n`);
  assert.equal(mail.folder, "INBOX");
});
