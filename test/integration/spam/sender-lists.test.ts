// Blocked and safe senders (lib/spam/sender-lists.ts) and Junk's retention
// (lib/spam/junk-retention.ts) against a real Postgres.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";
import { assertUserError } from "../../helpers/user-error.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { addSenderEntry, listSenderEntries, removeSenderEntry, senderListVerdict } =
  await import("../../../lib/spam/sender-lists.ts");
const { expireJunk } = await import("../../../lib/spam/junk-retention.ts");
const { moveMessagesToSpecial } = await import("../../../lib/store/move-messages.ts");

test("the most specific entry wins; lists are per account", async () => {
  const alice = await makeAccount("alice");
  const bob = await makeAccount("bob");
  assert.equal(await addSenderEntry(alice.id, " Shop.Example ", "BLOCK"), "@shop.example");
  assert.equal(await addSenderEntry(alice.id, "News@Shop.example", "SAFE"), "news@shop.example");
  assert.equal(await senderListVerdict(alice.id, "deals@shop.example"), "block");
  assert.equal(await senderListVerdict(alice.id, "deals@mail.shop.example"), "block", "subdomains");
  assert.equal(await senderListVerdict(alice.id, "NEWS@shop.example"), "safe");
  assert.equal(await senderListVerdict(alice.id, "someone@other.example"), null);
  assert.equal(await senderListVerdict(alice.id, "not an address"), null);
  assert.equal(await senderListVerdict(bob.id, "deals@shop.example"), null, "Bob's lists are his");
  // Moving an entry between the lists, and off them.
  await addSenderEntry(alice.id, "@shop.example", "SAFE");
  assert.equal(await senderListVerdict(alice.id, "deals@shop.example"), "safe");
  await removeSenderEntry(alice.id, "shop.example");
  assert.deepEqual(
    (await listSenderEntries(alice.id)).map((e) => [e.sender, e.kind]),
    [["news@shop.example", "SAFE"]],
  );
  for (const bad of ["", "a b@c.example", "@", "x@", "no-dot"])
    await assertUserError(addSenderEntry(alice.id, bad, "BLOCK"), "invalid_input");
});

test("Junk empties itself after the retention; newer junk and other folders stay", async () => {
  const carol = await makeAccount("carol");
  const old = await deliverMail(
    carol.id,
    { subject: "old junk" },
    new Date(Date.now() - 31 * 86_400_000),
  );
  const fresh = await deliverMail(carol.id, { subject: "new junk" });
  const inbox = await deliverMail(
    carol.id,
    { subject: "old inbox" },
    new Date(Date.now() - 90 * 86_400_000),
  );
  await moveMessagesToSpecial(carol.id, [old.messageId, fresh.messageId], "JUNK");
  assert.equal(await expireJunk(0), 0, "0 days: never");
  assert.equal(await expireJunk(30), 1);
  const left = await db.message.findMany({
    where: { accountId: carol.id },
    select: { subject: true },
  });
  assert.deepEqual(left.map((m) => m.subject).sort(), ["new junk", "old inbox"]);
  const junk = await db.mailbox.findFirstOrThrow({
    where: { accountId: carol.id, specialUse: "JUNK" },
  });
  assert.equal(junk.messageCount, 1, "counters kept exact");
  void inbox;
});

test("one instance sweeps at a time", async () => {
  const pg = (await import("pg")).default;
  const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await other.connect();
  try {
    await other.query("SELECT pg_advisory_lock($1)", [0x4a554e4b]);
    assert.equal(await expireJunk(30), null);
  } finally {
    await other.end();
  }
});
