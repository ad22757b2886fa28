// Learning from users' marks through every path that marks: the webmail's
// move into / out of Junk (lib/store), IMAP MOVE, COPY and STORE $Junk /
// $NotJunk with a real client (imapflow). Each message counts once, as its
// latest verdict; a similar message is then scored as spam.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { buildMail, deliverMail } from "../../helpers/mail.ts";
import { startImapGateway } from "../../helpers/imap.ts";
import { imapFlowClient } from "../../helpers/imapflow.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { withTransaction } = await import("../../../lib/db/sql.ts");
const { moveMessagesToSpecial } = await import("../../../lib/store/move-messages.ts");
const { deleteMessages } = await import("../../../lib/store/delete-messages.ts");
const { scoreSpam, CLASSIFIER_CUTOFFS } = await import("../../../lib/spam/classifier/index.ts");
const { addMessageDeltas, applyTokenDeltas, loadModels } =
  await import("../../../lib/spam/classifier/token-store.ts");
const { messageTokens } = await import("../../../lib/spam/classifier/tokenize.ts");
const { applyQueuedTraining } = await import("../../../lib/spam/training.ts");

const gateway = await startImapGateway();

async function counts(accountId: string) {
  const { user, service } = await loadModels(accountId);
  return {
    user: [user.spamMessages, user.hamMessages],
    service: [service.spamMessages, service.hamMessages],
  };
}

/** Ordinary mail the account already taught (so its model judges), none of it about pills. */
async function seed(accountId: string, spam: number, ham: number) {
  const deltas = new Map();
  for (let i = 0; i < spam; i++)
    addMessageDeltas(
      deltas,
      messageTokens(
        await buildMail({
          subject: `Mortgage rates ${i}`,
          text: `Refinance your home loan today ${i}`,
        }),
      ),
      1,
      0,
    );
  for (let i = 0; i < ham; i++)
    addMessageDeltas(
      deltas,
      messageTokens(
        await buildMail({
          subject: `Lunch ${i}`,
          text: `Shall we meet at noon by the station? ${i}`,
        }),
      ),
      0,
      1,
    );
  await withTransaction((client) => applyTokenDeltas(client, accountId, deltas));
}

const pills = (i: number) => ({
  from: `Pharmacy <sales${i}@cheap-meds.example>`,
  subject: `Cheap pills without prescription ${i}`,
  text: `Buy cheap pills online, no prescription needed, discreet shipping from http://cheap-meds.example/${i}`,
});

test("webmail Junk / Not junk: once per message, the latest verdict; deleting junk teaches nothing", async () => {
  const alice = await makeAccount("alice");
  const copy = await deliverMail(alice.id, pills(1));
  await moveMessagesToSpecial(alice.id, [copy.messageId], "JUNK");
  assert.deepEqual(await counts(alice.id), { user: [1, 0], service: [1, 0] });
  await moveMessagesToSpecial(alice.id, [copy.messageId], "JUNK"); // already there
  assert.deepEqual((await counts(alice.id)).user, [1, 0]);
  await moveMessagesToSpecial(alice.id, [copy.messageId], "INBOX"); // Not junk
  assert.deepEqual(await counts(alice.id), { user: [0, 1], service: [0, 1] });
  await moveMessagesToSpecial(alice.id, [copy.messageId], "JUNK");
  await moveMessagesToSpecial(alice.id, [copy.messageId], "ARCHIVE");
  await moveMessagesToSpecial(alice.id, [copy.messageId], "JUNK");
  assert.deepEqual(await counts(alice.id), { user: [1, 0], service: [1, 0] });
  await deleteMessages(alice.id, [copy.messageId]); // Junk -> Trash
  assert.deepEqual((await counts(alice.id)).user, [1, 0]);
  const row = await db.spamTraining.findUniqueOrThrow({
    where: { accountId_messageId: { accountId: alice.id, messageId: copy.messageId } },
  });
  assert.deepEqual([row.wanted, row.trained], ["SPAM", "SPAM"]);
  assert.equal(await db.spamTrainingQueue.count(), 0);
});

test("a crash between commit and training leaves the verdict queued for the sweeper", async () => {
  const erin = await makeAccount("erin");
  const copy = await deliverMail(erin.id, pills(2));
  await db.$transaction(async (tx) => {
    const { recordSpamVerdicts } = await import("../../../lib/spam/training.ts");
    assert.equal(
      await recordSpamVerdicts(tx, erin.id, [{ messageId: copy.messageId, verdict: "SPAM" }]),
      1,
    );
  });
  assert.deepEqual((await counts(erin.id)).user, [0, 0]);
  assert.equal(await applyQueuedTraining(null), 1);
  assert.deepEqual((await counts(erin.id)).user, [1, 0]);
  assert.equal(await applyQueuedTraining(null), 0, "applied once");
});

test("IMAP: MOVE into Junk and STORE $Junk train; $NotJunk and MOVE out retrain; a similar message scores as spam", async () => {
  const bob = await makeAccount("bob");
  await seed(bob.id, 9, 12);
  const moved = await deliverMail(bob.id, pills(3));
  const flagged = await deliverMail(bob.id, pills(4));
  const copied = await deliverMail(bob.id, pills(5));
  const probe = await buildMail(pills(6));

  const client = imapFlowClient(gateway.imapPort, "bob@mail.test");
  await client.connect();
  try {
    await client.mailboxOpen("INBOX");
    const uidOf = async (subject: string) =>
      (await client.search({ subject }, { uid: true })) as number[];
    const [movedUid] = await uidOf("pills without prescription 3");
    await client.messageMove(String(movedUid), "Junk", { uid: true });
    assert.deepEqual((await counts(bob.id)).user, [10, 12]);

    const [flaggedUid] = await uidOf("pills without prescription 4");
    await client.messageFlagsAdd(String(flaggedUid), ["$Junk"], { uid: true });
    assert.deepEqual((await counts(bob.id)).user, [11, 12]);
    await client.messageFlagsAdd(String(flaggedUid), ["$Junk"], { uid: true }); // again: no change
    assert.deepEqual((await counts(bob.id)).user, [11, 12]);

    // A client without MOVE: COPY into Junk, then delete the original.
    const [copiedUid] = await uidOf("pills without prescription 5");
    await client.messageCopy(String(copiedUid), "Junk", { uid: true });
    assert.deepEqual((await counts(bob.id)).user, [12, 12]);

    const score = await scoreSpam({ accountId: bob.id, source: probe });
    assert.ok(
      score && score.spamProbability >= CLASSIFIER_CUTOFFS.spam,
      `similar message: ${score?.spamProbability}`,
    );
    assert.deepEqual(score.reasons, ["Like messages you marked as junk"]);

    // Not junk: the keyword, and a move out of Junk.
    await client.messageFlagsRemove(String(flaggedUid), ["$Junk"], { uid: true });
    await client.messageFlagsAdd(String(flaggedUid), ["$NotJunk"], { uid: true });
    assert.deepEqual((await counts(bob.id)).user, [11, 13]);
    await client.mailboxOpen("Junk");
    const [inJunk] = (await client.search(
      { subject: "pills without prescription 3" },
      { uid: true },
    )) as number[];
    await client.messageMove(String(inJunk), "INBOX", { uid: true });
    assert.deepEqual((await counts(bob.id)).user, [10, 14]);
  } finally {
    await client.logout();
  }
  void moved;
  void flagged;
  void copied;
});
