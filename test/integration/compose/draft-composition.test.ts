// Saving a draft and sending it serialise on the composer's id
// (lib/compose/draft-composition.ts): whatever order an autosave and Send
// reach the server in, a sent message leaves no copy in Drafts, and a
// composer cannot be sent twice.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { saveDraft } = await import("../../../lib/compose/drafts.ts");
const { sendComposed } = await import("../../../lib/compose/send.ts");
const { composeSchema } = await import("../../../lib/compose/model.ts");

const ann = await makeAccount("ann");
const bob = await makeAccount("bob");

const drafts = () =>
  db.message.findMany({
    where: { accountId: ann.id, mailbox: { specialUse: "DRAFTS" } },
    select: { subject: true },
  });
const input = (subject: string) =>
  composeSchema.parse({ to: [{ name: "Bob", address: bob.address }], subject, body: "<p>Hi</p>" });

test("an autosave that arrives after Send is refused and keeps no draft", async () => {
  const composition = randomUUID();
  const first = await saveDraft(ann.id, input("Late save"), null, composition);
  await sendComposed(ann.id, input("Late save"), {
    draftId: first,
    compositionId: composition,
    clientIp: "",
  });
  assert.deepEqual(await drafts(), []);
  // The autosave that was in flight when Send was pressed, still naming the first copy.
  await assert.rejects(saveDraft(ann.id, input("Late save"), first, composition), {
    code: "invalid_input",
  });
  assert.deepEqual(await drafts(), []);
  // And the same composer cannot be sent a second time.
  await assert.rejects(
    sendComposed(ann.id, input("Late save"), {
      draftId: null,
      compositionId: composition,
      clientIp: "",
    }),
    { code: "invalid_input" },
  );
  assert.equal(await db.pendingSubmission.count({ where: { accountId: ann.id } }), 1);
});

test("autosave and Send racing: never a draft left behind, whichever wins", async () => {
  for (let i = 0; i < 8; i++) {
    const composition = randomUUID();
    const subject = `Race ${i}`;
    const first = await saveDraft(ann.id, input(subject), null, composition);
    await Promise.allSettled([
      saveDraft(ann.id, input(subject), first, composition),
      sendComposed(ann.id, input(subject), {
        draftId: first,
        compositionId: composition,
        clientIp: "",
      }),
      saveDraft(ann.id, input(subject), first, composition),
    ]);
    assert.deepEqual(await drafts(), [], subject);
  }
});

test("saves of one composer replace each other: one draft at a time", async () => {
  const composition = randomUUID();
  const first = await saveDraft(ann.id, input("Kept"), null, composition);
  // Two saves that both still name the first copy (one overtook the other).
  await Promise.all([
    saveDraft(ann.id, input("Kept"), first, composition),
    saveDraft(ann.id, input("Kept"), first, composition),
  ]);
  assert.deepEqual(await drafts(), [{ subject: "Kept" }]);
});
