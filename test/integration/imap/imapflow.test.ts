// IMAP with a real client library (imapflow): every message of the shared
// MIME corpus fetched with ENVELOPE, BODYSTRUCTURE and its source equals the
// stored bytes and parses; and IDLE hears mail delivered over SMTP and
// changes made through lib/store (the webmail's path) within a second.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { MIME_CORPUS_DIR, mimeCorpusFiles } from "../../helpers/corpus.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverRaw } from "../../helpers/mail.ts";
import { sendOnce, simpleMessage } from "../../helpers/smtp-harness.ts";
import { startImapGateway } from "../../helpers/imap.ts";
import { imapFlowClient } from "../../helpers/imapflow.ts";

await useTestDatabase();
const { parseMessage } = await import("../../../lib/mime/parse-message.ts");
const { updateFlags } = await import("../../../lib/store/update-flags.ts");
const { deleteMessages } = await import("../../../lib/store/delete-messages.ts");
const { db } = await import("../../../lib/db.ts");

const gateway = await startImapGateway();

const connect = (user: string) => imapFlowClient(gateway.imapPort, user);

test("every corpus message: source byte-exact, ENVELOPE and BODYSTRUCTURE parse in imapflow", async () => {
  const carol = await makeAccount("carol");
  const files = await mimeCorpusFiles();
  assert.ok(files.length >= 100, `${files.length} corpus messages in ${MIME_CORPUS_DIR}`);
  const raws: Buffer[] = [];
  for (const file of files) {
    const raw = await readFile(file);
    raws.push(raw);
    await deliverRaw([carol.id], raw);
  }
  const client = connect("carol@mail.test");
  await client.connect();
  try {
    await client.mailboxOpen("INBOX");
    let seen = 0;
    const subjectMismatches: string[] = [];
    for await (const message of client.fetch("1:*", {
      uid: true,
      envelope: true,
      bodyStructure: true,
      source: true,
      size: true,
    })) {
      const raw = raws[message.uid - 1]!;
      const file = path.relative(MIME_CORPUS_DIR, files[message.uid - 1]!);
      assert.ok(message.source, `${file}: source`);
      assert.equal(message.source.compare(raw), 0, `${file}: source byte-exact`);
      assert.equal(message.size, raw.length, `${file}: RFC822.SIZE`);
      const structure = message.bodyStructure;
      assert.ok(structure && typeof structure.type === "string", `${file}: BODYSTRUCTURE parsed`);
      assert.match(structure.type, /^[a-z0-9.+!#$&^_-]+\/[a-z0-9.+!#$&^_-]+$/i, `${file}: type`);
      const parsed = await parseMessage(raw);
      assert.ok(message.envelope, `${file}: ENVELOPE`);
      const expected = parsed.subject.replace(/\s+/g, " ").trim();
      const actual = (message.envelope.subject ?? "").replace(/\s+/g, " ").trim();
      if (expected !== actual)
        subjectMismatches.push(`${file}: ${JSON.stringify([expected, actual])}`);
      seen++;
    }
    assert.equal(seen, files.length);
    // Decoders differ on broken charsets; a handful of differences is tolerated, not more.
    assert.ok(subjectMismatches.length <= files.length / 20, subjectMismatches.join("\n"));
  } finally {
    await client.logout();
  }
});

test("IDLE hears SMTP delivery within a second, and flags and deletes made through lib/store", async () => {
  const dave = await makeAccount("dave");
  const client = connect("dave@mail.test");
  await client.connect();
  try {
    await client.mailboxOpen("INBOX");
    const existsAt = new Promise<number>((resolve) =>
      client.once("exists", (event: { count: number }) => {
        assert.equal(event.count, 1);
        resolve(Date.now());
      }),
    );
    // imapflow enters IDLE by itself once it has nothing else to do.
    await new Promise((r) => setTimeout(r, 500));
    const sentAt = Date.now();
    const sent = await sendOnce(
      gateway.smtpPort,
      { from: "alice@example.org", to: ["dave@mail.test"] },
      simpleMessage({ to: "dave@mail.test", subject: "idle test" }),
    );
    assert.equal(sent.final?.code, 250);
    const storedAt = Date.now();
    const heardAfter = (await existsAt) - storedAt;
    assert.ok(
      heardAfter < 1000,
      `EXISTS ${heardAfter} ms after the SMTP reply (sent in ${storedAt - sentAt} ms)`,
    );

    const message = await db.message.findFirstOrThrow({ where: { accountId: dave.id } });
    const flagsHeard = new Promise<Set<string>>((resolve) =>
      client.once("flags", (event: { flags: Set<string> }) => resolve(event.flags)),
    );
    await updateFlags(dave.id, [message.id], { seen: true, flagged: true });
    const flags = await flagsHeard;
    assert.ok(flags.has("\\Seen") && flags.has("\\Flagged"), [...flags].join());

    const expungeHeard = new Promise<number>((resolve) =>
      client.once("expunge", (event: { seq: number }) => resolve(event.seq)),
    );
    await deleteMessages(dave.id, [message.id]);
    assert.equal(await expungeHeard, 1);
  } finally {
    await client.logout();
  }
});
