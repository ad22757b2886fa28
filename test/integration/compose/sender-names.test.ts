// A display name that reads as someone else's address cannot be saved (the
// user's settings, signup, the admin dashboard's and the CLI's
// createAccount), and one saved before this rule is refused when the
// composer sends (the error shown at once) and when a held send falls due
// (the scheduled-send worker checks the bytes it submits: it stays in the
// Outbox as failed, with the reason). Nothing reaches anyone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { assertUserError } from "../../helpers/user-error.ts";
import { ownAlias } from "../../helpers/aliases.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { updateProfile } = await import("../../../lib/accounts/user-settings.ts");
const { createAccount } = await import("../../../lib/accounts/create-account.ts");
const { signUp } = await import("../../../lib/accounts/signup.ts");
const { sendComposed } = await import("../../../lib/compose/send.ts");
const { buildComposedMessage } = await import("../../../lib/compose/compose-state.ts");
const { submitNextDueSend } = await import("../../../lib/compose/outbox.ts");
const { composeSchema } = await import("../../../lib/compose/model.ts");

const ann = await makeAccount("ann");
const bob = await makeAccount("bob");
await ownAlias(ann.address, "sales@mail.test");

const input = composeSchema.parse({
  to: [{ name: "Bob", address: bob.address }],
  subject: "From the top",
  body: "<p>Do as I say</p>",
});

const IMPERSONATING = [
  "bob@mail.test",
  "Bob <bob@mail.test>",
  "=?utf-8?q?bob=40mail.test?=",
  "bob\uff20mail.test",
  "b\u200bob@mail.test",
  "bob @ mail.test",
];

test("settings refuse a display name that reads as another address", async () => {
  for (const name of IMPERSONATING) {
    await assertUserError(
      updateProfile(ann.id, { displayName: name, signature: "" }),
      "invalid_input",
      {
        field: "displayName",
        message: /cannot be an email address other than your own \(it reads as bob@mail\.test\)/,
      },
    );
  }
  const stored = await db.account.findUniqueOrThrow({ where: { id: ann.id } });
  assert.equal(stored.displayName, "ann", "nothing saved");
  // Her own addresses, and ordinary names, are fine.
  for (const name of ["Ann Writer", "ann@mail.test", "Sales (sales@mail.test)", "Ann @ Home"]) {
    await updateProfile(ann.id, { displayName: name, signature: "" });
  }
});

test("signup, the admin dashboard and the CLI (createAccount) refuse such a name", async () => {
  await assertUserError(
    createAccount({
      localPart: "mallory",
      domain: "mail.test",
      displayName: "postmaster@mail.test",
      password: TEST_PASSWORD,
    }),
    "invalid_input",
    { field: "displayName", message: /reads as postmaster@mail\.test/ },
  );
  await assertUserError(
    signUp(
      {
        localPart: "trudy",
        domain: "mail.test",
        displayName: "=?utf-8?b?Ym9iQG1haWwudGVzdA==?=",
        password: TEST_PASSWORD,
      },
      { ip: "192.0.2.7" },
    ),
    "invalid_input",
    { field: "displayName", message: /reads as bob@mail\.test/ },
  );
  assert.equal(await db.account.count({ where: { localPart: { in: ["mallory", "trudy"] } } }), 0);
});

test("a name saved before the rule: the composer's Send refuses it with the reason", async () => {
  await db.account.update({ where: { id: ann.id }, data: { displayName: "bob@mail.test" } });
  try {
    await assertUserError(
      sendComposed(ann.id, input, { draftId: null, clientIp: "" }),
      "forbidden",
      {
        field: "from",
        message: /^The From field reads as bob@mail\.test, an address you cannot send as/,
      },
    );
    assert.equal(await db.pendingSubmission.count({ where: { accountId: ann.id } }), 0);
  } finally {
    await db.account.update({ where: { id: ann.id }, data: { displayName: "Ann" } });
  }
});

test("held sends are checked when they fall due, on the bytes that are sent", async () => {
  // Rows as a composer before this rule (or any bug) could have left them:
  // the impersonating name, and a second From.
  await db.account.update({ where: { id: ann.id }, data: { displayName: "bob@mail.test" } });
  const named = await buildComposedMessage(ann.id, input, { date: new Date(), keepBcc: true });
  await db.account.update({ where: { id: ann.id }, data: { displayName: "Ann" } });
  const plain = await buildComposedMessage(ann.id, input, { date: new Date(), keepBcc: true });
  const twoFroms = Buffer.concat([Buffer.from("From: Bob <bob@mail.test>\r\n"), plain.raw]);
  for (const [raw, messageId] of [
    [named.raw, named.messageId],
    [twoFroms, plain.messageId],
  ] as const) {
    await db.pendingSubmission.create({
      data: {
        accountId: ann.id,
        raw: new Uint8Array(raw),
        recipients: [bob.address],
        messageIdHeader: messageId,
        subject: input.subject,
        sendAt: new Date(Date.now() - 1000),
        scheduled: true,
        clientIp: "",
      },
    });
  }
  assert.equal(await submitNextDueSend(), true);
  assert.equal(await submitNextDueSend(), true);
  const rows = await db.pendingSubmission.findMany({
    where: { accountId: ann.id },
    orderBy: { lastError: "asc" },
  });
  assert.deepEqual(
    rows.map((r) => [r.status, r.lastError]),
    [
      [
        "FAILED",
        "The From field reads as bob@mail.test, an address you cannot send as: a display name cannot be someone else's address.",
      ],
      ["FAILED", "The message has 2 From fields; RFC 5322 section 3.6 allows one at most."],
    ],
  );
  assert.equal(await db.message.count({ where: { accountId: bob.id } }), 0, "Bob got nothing");
  assert.equal(
    await db.message.count({ where: { accountId: ann.id, mailbox: { specialUse: "SENT" } } }),
    0,
  );
});
