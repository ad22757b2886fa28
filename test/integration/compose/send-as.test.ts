// Sending as an alias from the composer's server side: the From choices are
// the addresses submission accepts (the account's own and the aliases it
// owns); the choice is sent, kept in drafts and in undo; a reply defaults to
// the address the original was sent to; a forged From is refused with a
// clear error before anything is stored; drafts carry \Draft.
import assert from "node:assert/strict";
import { test } from "node:test";
import { simpleParser } from "mailparser";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";
import { assertUserError } from "../../helpers/user-error.ts";
import { ownAlias } from "../../helpers/aliases.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { saveDraft, openAsDraft } = await import("../../../lib/compose/drafts.ts");
const { startReply, startNewMessage } = await import("../../../lib/compose/start-compose.ts");
const { sendComposed, cancelPendingSend } = await import("../../../lib/compose/send.ts");
const { submitNextDueSend } = await import("../../../lib/compose/outbox.ts");
const { composeSchema } = await import("../../../lib/compose/model.ts");

const ann = await makeAccount("ann");
const bob = await makeAccount("bob");
const carol = await makeAccount("carol");
await db.account.update({ where: { id: ann.id }, data: { displayName: "Ann Writer" } });
// Ann owns sales@ (mail to it reaches Ann and Bob); Bob receives help@ but
// only Carol may send as it.
await ownAlias(ann.address, "sales@mail.test", [ann.address, bob.address]);
await ownAlias(carol.address, "help@mail.test", [ann.address]);

const input = (overrides: Record<string, unknown> = {}) =>
  composeSchema.parse({
    to: [{ name: "Bob", address: bob.address }],
    subject: "Offer",
    body: "<p>Our offer</p>",
    ...overrides,
  });

async function submitDue(pendingId: string): Promise<void> {
  await db.pendingSubmission.update({
    where: { accountId_id: { accountId: ann.id, id: pendingId } },
    data: { sendAt: new Date(Date.now() - 1000) },
  });
  assert.equal(await submitNextDueSend(), true);
}

test("the From choices are the account's address then its owned aliases; new mail defaults to the account's own", async () => {
  const fresh = await startNewMessage(ann.id);
  assert.deepEqual(fresh.fromAddresses, [ann.address, "sales@mail.test"]);
  assert.equal(fresh.fromName, "Ann Writer");
  assert.equal(fresh.input.from, ann.address);
  const bobs = await startNewMessage(bob.id);
  assert.deepEqual(bobs.fromAddresses, [bob.address], "receiving an alias is not owning it");
});

test("sent as the alias: the stored From carries the alias and the display name", async () => {
  const sent = await sendComposed(ann.id, input({ from: "sales@mail.test", subject: "As sales" }), {
    draftId: null,
    clientIp: "",
  });
  await submitDue(sent.id);
  const got = await db.message.findFirstOrThrow({
    where: { accountId: bob.id, subject: "As sales", mailbox: { specialUse: "INBOX" } },
    include: { source: true },
  });
  assert.equal(got.fromAddress, "sales@mail.test");
  assert.equal(got.fromName, "Ann Writer");
  const parsed = await simpleParser(Buffer.from(got.source.raw));
  assert.deepEqual(parsed.from?.value, [{ name: "Ann Writer", address: "sales@mail.test" }]);
  const sentCopy = await db.message.findFirstOrThrow({
    where: { accountId: ann.id, subject: "As sales", mailbox: { specialUse: "SENT" } },
  });
  assert.equal(sentCopy.fromAddress, "sales@mail.test");
});

test("a forged From is refused with a clear error, and nothing is stored or held", async () => {
  const pendingBefore = await db.pendingSubmission.count();
  const draftsBefore = await db.message.count({
    where: { accountId: ann.id, mailbox: { specialUse: "DRAFTS" } },
  });
  for (const forged of [carol.address, "help@mail.test", "ceo@remote.test", "nobody@mail.test"]) {
    await assertUserError(
      sendComposed(ann.id, input({ from: forged }), { draftId: null, clientIp: "" }),
      "forbidden",
      { field: "from", message: new RegExp(`^You cannot send as ${forged}\\.$`) },
    );
    await assertUserError(saveDraft(ann.id, input({ from: forged }), null), "forbidden", {
      field: "from",
    });
  }
  // Header injection through the From is refused by the schema.
  assert.throws(() => input({ from: "sales@mail.test\r\nBcc: eve@remote.test" }), /valid email/);
  assert.equal(await db.pendingSubmission.count(), pendingBefore);
  assert.equal(
    await db.message.count({ where: { accountId: ann.id, mailbox: { specialUse: "DRAFTS" } } }),
    draftsBefore,
  );
});

test("a reply or forward defaults to the address the original was sent to, when the user may send as it", async () => {
  const toAlias = await deliverMail(ann.id, {
    from: "Client <client@remote.test>",
    to: "sales@mail.test",
    subject: "Quote please",
  });
  for (const mode of ["reply", "reply-all", "forward"] as const) {
    const state = await startReply(ann.id, toAlias.messageId, mode);
    assert.equal(state.input.from, "sales@mail.test", mode);
    assert.deepEqual(state.fromAddresses, [ann.address, "sales@mail.test"]);
  }
  const toSubaddress = await deliverMail(ann.id, {
    from: "client@remote.test",
    to: "someone@remote.test",
    cc: "sales+quotes@mail.test",
    subject: "Cc'd",
  });
  assert.equal(
    (await startReply(ann.id, toSubaddress.messageId, "reply")).input.from,
    "sales@mail.test",
  );
  // help@ reaches Ann but is Carol's to send as: Ann replies as herself.
  const toForeignAlias = await deliverMail(ann.id, {
    from: "client@remote.test",
    to: "help@mail.test",
    subject: "Help",
  });
  assert.equal(
    (await startReply(ann.id, toForeignAlias.messageId, "reply")).input.from,
    ann.address,
  );
  const toAnn = await deliverMail(ann.id, {
    from: "client@remote.test",
    to: ann.address,
    subject: "Direct",
  });
  assert.equal((await startReply(ann.id, toAnn.messageId, "reply")).input.from, ann.address);
});

test("drafts and undone sends keep the alias; drafts carry \\Draft", async () => {
  const draftId = await saveDraft(
    ann.id,
    input({ from: "sales@mail.test", subject: "Kept" }),
    null,
  );
  const row = await db.message.findFirstOrThrow({ where: { accountId: ann.id, id: draftId } });
  assert.equal(row.draft, true, "\\Draft set");
  assert.equal(row.seen, true);
  const reopened = await openAsDraft(ann.id, draftId);
  assert.equal(reopened.input.from, "sales@mail.test");
  assert.deepEqual(reopened.fromAddresses, [ann.address, "sales@mail.test"]);

  const sent = await sendComposed(ann.id, reopened.input, { draftId, clientIp: "" });
  const back = await cancelPendingSend(ann.id, sent.id);
  assert.equal(back.input.from, "sales@mail.test");
  const backRow = await db.message.findFirstOrThrow({
    where: { accountId: ann.id, id: back.draftId! },
  });
  assert.equal(backRow.draft, true, "an undone send is a draft too");

  // Sent copies are not drafts.
  const sentCopy = await db.message.findFirstOrThrow({
    where: { accountId: ann.id, mailbox: { specialUse: "SENT" } },
  });
  assert.equal(sentCopy.draft, false);
});

test("a draft whose alias was taken away reopens from the account's own address", async () => {
  const alias = await ownAlias(ann.address, "temp@mail.test");
  const draftId = await saveDraft(ann.id, input({ from: "temp@mail.test" }), null);
  await db.alias.update({ where: { id: alias.id }, data: { ownerAccountId: null } });
  const reopened = await openAsDraft(ann.id, draftId);
  assert.equal(reopened.input.from, ann.address);
  assert.deepEqual(reopened.fromAddresses, [ann.address, "sales@mail.test"]);
});
