// The MX files mail with the built-in classifier and the recipient's own
// sender lists, over a real SMTP conversation (nodemailer as the peer): once
// a user has taught it, a similar message arriving over SMTP lands in Junk
// and says why; a blocked sender's mail is Junk; a safe sender's spam-like
// mail stays in the Inbox; nothing is judged before anyone taught it, and
// an account that taught nothing is judged by what everyone taught.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { buildMail, type TestMail } from "../../helpers/mail.ts";
import { startTestGateway } from "../../helpers/smtp-harness.ts";
import { connectNodemailer } from "../../helpers/smtp-clients.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { withTransaction } = await import("../../../lib/db/sql.ts");
const { addMessageDeltas, applyTokenDeltas } =
  await import("../../../lib/spam/classifier/token-store.ts");
const { messageTokens } = await import("../../../lib/spam/classifier/tokenize.ts");
const { addSenderEntry } = await import("../../../lib/spam/sender-lists.ts");

const gateway = await startTestGateway();

const pills = (i: number): TestMail => ({
  from: `Pharmacy <sales${i}@cheap-meds.example>`,
  subject: `Cheap pills without prescription ${i}`,
  text: `Buy cheap pills online, no prescription needed, discreet shipping from http://cheap-meds.example/${i}`,
});
const lunch = (i: number): TestMail => ({
  from: `Colleague <colleague${i}@work.example>`,
  subject: `Lunch on Thursday ${i}`,
  text: `Shall we meet at noon by the station? I booked a table ${i}.`,
});

/** What the account's own Junk and Not junk marks would have taught its model. */
async function teach(accountId: string) {
  const deltas = new Map();
  for (let i = 0; i < 15; i++) {
    addMessageDeltas(deltas, messageTokens(await buildMail(pills(i))), 1, 0);
    addMessageDeltas(deltas, messageTokens(await buildMail(lunch(i))), 0, 1);
  }
  await withTransaction((client) => applyTokenDeltas(client, accountId, deltas));
}

/** Sends over SMTP to `to`; returns the stored copy's folder and verdict. */
async function receive(to: string, mail: TestMail) {
  const smtp = await connectNodemailer(gateway.smtpPort);
  const subject = mail.subject!;
  try {
    const raw = await buildMail({ ...mail, to });
    const from = /<([^>]+)>/.exec(mail.from!)![1]!;
    const sent = await smtp.send({ from, to: [to] }, raw);
    assert.deepEqual(sent.accepted, [to]);
  } finally {
    smtp.close();
  }
  const copy = await db.message.findFirstOrThrow({
    where: { account: { address: to }, subject },
    select: { spamVerdict: true, mailbox: { select: { specialUse: true } } },
  });
  return {
    folder: copy.mailbox.specialUse,
    verdict: copy.spamVerdict as { action: string; reasons: { code: string; text: string }[] },
  };
}

test("before anyone taught the filter, it judges nothing", async () => {
  const cyd = await makeAccount("cyd");
  const mail = await receive(cyd.address, pills(300));
  assert.equal(mail.folder, "INBOX");
});

test("taught by its user, the MX files similar spam in Junk with the reason, and ham in the Inbox", async () => {
  const ann = await makeAccount("ann");
  await teach(ann.id);
  const spam = await receive(ann.address, pills(100));
  assert.equal(spam.folder, "JUNK");
  assert.equal(spam.verdict.action, "junk");
  const content = spam.verdict.reasons.find((r) => r.code === "content");
  assert.match(content?.text ?? "", /Like messages you marked as junk/);
  const ham = await receive(ann.address, lunch(100));
  assert.equal(ham.folder, "INBOX");
});

test("a blocked sender's mail is Junk; a safe sender's is not, however spam-like", async () => {
  const bea = await makeAccount("bea");
  await teach(bea.id);
  await addSenderEntry(bea.id, "colleague200@work.example", "BLOCK");
  const blocked = await receive(bea.address, lunch(200));
  assert.equal(blocked.folder, "JUNK");
  assert.ok(blocked.verdict.reasons.some((r) => r.text === "You blocked this sender"));
  await addSenderEntry(bea.id, "@cheap-meds.example", "SAFE");
  const safe = await receive(bea.address, pills(201));
  assert.equal(safe.folder, "INBOX");
});

test("an account whose user taught nothing is judged by what everyone's marks taught", async () => {
  const dan = await makeAccount("dan");
  const mail = await receive(dan.address, pills(400));
  assert.equal(mail.folder, "JUNK");
  assert.ok(mail.verdict.reasons.some((r) => /people here marked as junk/.test(r.text)));
});
