// Drafts seen over IMAP: a draft the webmail saved carries \Draft (RFC 3501
// §2.3.2) in FETCH FLAGS, so Thunderbird and other clients treat it as a
// draft; a draft APPENDed with \Draft keeps the flag and opens in the
// webmail's composer.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { startImapGateway } from "../../helpers/imap.ts";
import { imapFlowClient } from "../../helpers/imapflow.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { saveDraft, openAsDraft } = await import("../../../lib/compose/drafts.ts");
const { composeSchema } = await import("../../../lib/compose/model.ts");

const gateway = await startImapGateway();
const ann = await makeAccount("ann");

const connect = (user: string) => imapFlowClient(gateway.imapPort, user);

test("a webmail draft has \\Draft in FETCH FLAGS; an APPENDed draft keeps it and opens in the composer", async () => {
  await saveDraft(
    ann.id,
    composeSchema.parse({
      to: [{ address: "peer@remote.test" }],
      subject: "From the webmail",
      body: "<p>Not yet</p>",
    }),
    null,
  );
  const client = connect(ann.address);
  await client.connect();
  try {
    await client.mailboxOpen("Drafts");
    const webmail = await client.fetchOne("1", { flags: true, envelope: true });
    assert.ok(webmail, "the draft is there");
    assert.equal(webmail.envelope?.subject, "From the webmail");
    // \Recent too: this session is the first to select the folder since the draft came.
    assert.deepEqual([...(webmail.flags ?? [])].sort(), ["\\Draft", "\\Recent", "\\Seen"]);

    const raw = Buffer.from(
      "From: ann@mail.test\r\nTo: peer@remote.test\r\nSubject: From Thunderbird\r\n" +
        "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHalf written.\r\n",
    );
    const appended = await client.append("Drafts", raw, ["\\Draft", "\\Seen"]);
    assert.ok(appended && appended.uid, "APPENDUID");
    const fetched = await client.fetchOne(String(appended.uid), { flags: true }, { uid: true });
    assert.ok(fetched, "the appended draft is there");
    assert.ok(fetched.flags?.has("\\Draft"), `flags: ${[...(fetched.flags ?? [])].join(" ")}`);

    const row = await db.message.findFirstOrThrow({
      where: { accountId: ann.id, subject: "From Thunderbird" },
    });
    assert.equal(row.draft, true);
    const opened = await openAsDraft(ann.id, row.id);
    assert.equal(opened.draftId, row.id);
    assert.equal(opened.input.subject, "From Thunderbird");
    assert.equal(opened.input.from, ann.address);
  } finally {
    await client.logout();
  }
});
