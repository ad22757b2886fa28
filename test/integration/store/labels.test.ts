// Labels are IMAP keywords: a label put on in the webmail's path shows in an
// IMAP client's FETCH FLAGS (imapflow, as Thunderbird would see a tag), a
// keyword an IMAP client sets shows as a label, and `label:` in search finds
// both. Definitions (name, colour) are per account.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";
import { startImapGateway } from "../../helpers/imap.ts";
import { imapFlowClient } from "../../helpers/imapflow.ts";
import { assertUserError } from "../../helpers/user-error.ts";

await useTestDatabase();
const { createLabel, listLabels, setLabel, deleteLabel } =
  await import("../../../lib/store/labels.ts");
const { labelKeyword, labelsOf } = await import("../../../lib/labels/keywords.ts");
const { searchMessages } = await import("../../../lib/search/search-messages.ts");
const { db } = await import("../../../lib/db.ts");

const gateway = await startImapGateway();

test("label names become Thunderbird-style keywords", () => {
  assert.equal(labelKeyword("Work"), "work");
  assert.equal(labelKeyword("  To Do (home) "), "to_do__home_");
  assert.equal(labelKeyword("Reisen ü"), "reisen__");
  assert.deepEqual(
    labelsOf(
      ["$Forwarded", "work", "$label1", "NonJunk", "custom"],
      [{ keyword: "work", name: "Work", color: "#2563eb" }],
    ).map((l) => [l.name, l.color]),
    [
      ["Work", "#2563eb"],
      ["Important", "#ff0000"],
      ["custom", "#6b7280"],
    ],
  );
});

test("a label set in the webmail is an IMAP keyword; one set over IMAP is a label; label: finds both", async () => {
  const account = await makeAccount("labeller");
  const first = await deliverMail(account.id, { subject: "Quarterly invoice" });
  const second = await deliverMail(account.id, { subject: "Holiday plans" });
  const label = await createLabel(account.id, "Work stuff", "#2563eb");
  assert.deepEqual(label, { keyword: "work_stuff", name: "Work stuff", color: "#2563eb" });
  assert.deepEqual(await listLabels(account.id), [label]);
  await assertUserError(createLabel(account.id, "work STUFF", "#2563eb"), "invalid_input", {
    field: "name",
  });
  await assertUserError(createLabel(account.id, "Other", "#123456"), "invalid_input", {
    field: "color",
  });
  await assertUserError(createLabel(account.id, "$Junk", "#2563eb"), "invalid_input");
  assert.equal(await setLabel(account.id, [first.messageId], label.keyword, true), 1);

  const client = imapFlowClient(gateway.imapPort, account.address);
  await client.connect();
  try {
    await client.mailboxOpen("INBOX");
    const flags = new Map<number, Set<string>>();
    for await (const m of client.fetch("1:*", { uid: true, flags: true })) {
      flags.set(m.uid, m.flags ?? new Set());
    }
    const firstUid = (await db.message.findFirstOrThrow({ where: { id: first.messageId } })).uid;
    const secondUid = (await db.message.findFirstOrThrow({ where: { id: second.messageId } })).uid;
    assert.ok(flags.get(firstUid)?.has("work_stuff"), "FETCH FLAGS shows the keyword");
    assert.ok(!flags.get(secondUid)?.has("work_stuff"));
    // Thunderbird's "Personal" tag, set over IMAP.
    await client.messageFlagsAdd(String(secondUid), ["$label3"], { uid: true });
  } finally {
    await client.logout();
  }

  const second2 = await db.message.findFirstOrThrow({ where: { id: second.messageId } });
  assert.deepEqual(
    labelsOf(second2.keywords, await listLabels(account.id)).map((l) => l.name),
    ["Personal"],
  );
  const subjects = async (q: string) =>
    (await searchMessages(account.id, q)).items.map((m) => m.subject).sort();
  assert.deepEqual(await subjects('label:"Work stuff"'), ["Quarterly invoice"]);
  assert.deepEqual(await subjects("label:work_stuff"), ["Quarterly invoice"]);
  assert.deepEqual(await subjects("label:personal"), ["Holiday plans"]);
  assert.deepEqual(await subjects("-label:personal"), ["Quarterly invoice"]);
  assert.deepEqual(await subjects("label:personal holiday"), ["Holiday plans"]);
  assert.deepEqual(await subjects("label:nothing"), []);

  // Off again; another account cannot touch these messages.
  const other = await makeAccount("label-other");
  await assertUserError(setLabel(other.id, [first.messageId], "work_stuff", false), "not_found");
  assert.equal(await setLabel(account.id, [first.messageId], "work_stuff", false), 1);
  assert.deepEqual(await subjects('label:"Work stuff"'), []);
  await deleteLabel(account.id, "work_stuff");
  assert.deepEqual(await listLabels(account.id), []);
  await assertUserError(setLabel(account.id, [first.messageId], "\\Seen", true), "invalid_input");
});
