// What a selected session is told of changes made by another session
// (RFC 3501 §5.2, §7.4.1): FETCH FLAGS for flag changes, EXPUNGE and EXISTS
// with exact sequence numbers when messages go and come (also when their
// number stays the same), EXPUNGE held back while a FETCH by sequence
// number runs, and nothing at all when nothing changed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";
import { RawImapClient, startImapGateway } from "../../helpers/imap.ts";

await useTestDatabase();
const gateway = await startImapGateway();

async function selected(address: string): Promise<RawImapClient> {
  const client = await RawImapClient.connect(gateway.imapPort);
  const login = await client.command(`LOGIN ${address} "${TEST_PASSWORD}"`);
  assert.match(login.at(-1)!, /^t\d+ OK /, login.join("\n"));
  const select = await client.command("SELECT INBOX");
  assert.match(select.at(-1)!, /OK \[READ-WRITE\]/, select.join("\n"));
  return client;
}

/** The untagged lines of a reply, without the tagged one. */
const untagged = (reply: string[]) => reply.filter((line) => line.startsWith("* "));

test("another session's flag changes, expunges and new mail reach a selected session", async () => {
  const account = await makeAccount("syncer");
  const uids: number[] = [];
  for (let i = 0; i < 5; i++)
    uids.push((await deliverMail(account.id, { subject: `message ${i}` })).uid);
  const watcher = await selected("syncer@mail.test");
  const actor = await selected("syncer@mail.test");
  try {
    // Nothing changed: a NOOP reports nothing.
    assert.deepEqual(untagged(await watcher.command("NOOP")), []);

    // Flags only.
    await actor.command("STORE 2 +FLAGS.SILENT (\\Flagged $Work)");
    // The new keyword is announced first (RFC 3501 §7.2.6); the watcher
    // selected first, so the messages are \Recent there.
    assert.deepEqual(untagged(await watcher.command("NOOP")), [
      "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)",
      "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work \\*)] Flags permitted",
      `* 2 FETCH (UID ${uids[1]} FLAGS (\\Recent \\Flagged $Work))`,
    ]);
    assert.deepEqual(untagged(await watcher.command("NOOP")), []);

    // Message 3 expunged and one delivered: still five messages.
    await actor.command("STORE 3 +FLAGS.SILENT (\\Deleted)");
    await actor.command("EXPUNGE");
    const added = await deliverMail(account.id, { subject: "message 5" });
    // The session may have heard some of it already (unsolicited, without
    // EXPUNGE: RFC 3501 §7.4.1); by the NOOP's end it has heard all of it.
    const noop = untagged(await watcher.command("NOOP"));
    assert.ok(noop.includes("* 3 EXPUNGE"), noop.join("\n"));
    assert.ok(
      noop.some((line) => /^\* [56] EXISTS$/.test(line)),
      noop.join("\n"),
    );
    const fetched = untagged(await watcher.command("FETCH 1:* (UID)"));
    assert.deepEqual(fetched, [
      `* 1 FETCH (UID ${uids[0]})`,
      `* 2 FETCH (UID ${uids[1]})`,
      `* 3 FETCH (UID ${uids[3]})`,
      `* 4 FETCH (UID ${uids[4]})`,
      `* 5 FETCH (UID ${added.uid})`,
    ]);

    // Expunged during a FETCH by sequence number: held back, told at the next NOOP.
    await actor.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
    await actor.command("EXPUNGE");
    const during = untagged(await watcher.command("FETCH 1 (UID)"));
    assert.ok(!during.some((line) => / EXPUNGE$/.test(line)), during.join("\n"));
    const after = untagged(await watcher.command("NOOP"));
    assert.ok(after.includes("* 1 EXPUNGE"), after.join("\n"));
    const unseen = await watcher.command("UID SEARCH UNSEEN");
    assert.equal(unseen[0], `* SEARCH ${uids[1]} ${uids[3]} ${uids[4]} ${added.uid}`);
    assert.deepEqual(untagged(await watcher.command("NOOP")), []);
  } finally {
    watcher.destroy();
    actor.destroy();
  }
});
