// The verdict pipeline's content step (lib/spam/verdict.ts ContentScorer):
// each recipient account's copy is scored on its own, above the junk
// threshold it goes to that account's Junk with the scorer's words, above
// the reject threshold (off by default) the message is refused when every
// copy would be; a scorer that fails is no opinion, never a lost message.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount } = await import("../../helpers/accounts.ts");
const { startTestGateway, sendOnce, simpleMessage } = await import("../../helpers/smtp-harness.ts");
const { updateSpamSettings, resetSpamSettings } = await import("../../../lib/spam/settings.ts");
const { db } = await import("../../../lib/db.ts");
type Scorer = import("../../../lib/spam/verdict.ts").ContentScorer;

const bob = await makeAccount("bob");
const carol = await makeAccount("carol");
const seen: { accountId: string; source: string }[] = [];
let probabilities: Record<string, number> = {};
let failing = false;
const scorer: Scorer = async ({ accountId, source }) => {
  seen.push({ accountId, source: source.toString("latin1") });
  if (failing) throw new Error("model unavailable");
  const p = probabilities[accountId];
  return p === undefined
    ? null
    : { spamProbability: p, reasons: ["Like messages you marked as junk"] };
};
const gateway = await startTestGateway({ relay: false, contentScorer: scorer });

async function send(subject: string) {
  return sendOnce(
    gateway.smtpPort,
    { from: "promo@example.org", to: [bob.address, carol.address] },
    simpleMessage({ from: "promo@example.org", subject }),
  );
}

async function copyOf(accountId: string, subject: string) {
  return db.message.findFirstOrThrow({
    where: { accountId, subject },
    include: { mailbox: true, source: { select: { raw: true } } },
  });
}

test("each account's copy is scored: over the junk threshold to its Junk, with the reason", async () => {
  probabilities = { [bob.id]: 0.97, [carol.id]: 0.1 };
  const result = await send("Cheap watches");
  assert.equal(result.final?.code, 250, result.final?.text);
  const ofBob = seen.filter((s) => s.accountId === bob.id).at(-1)!;
  assert.match(ofBob.source, /^From: promo@example\.org\r\n[^]*Subject: Cheap watches/m);

  const junk = await copyOf(bob.id, "Cheap watches");
  assert.equal(junk.mailbox.specialUse, "JUNK");
  assert.deepEqual(junk.spamVerdict, {
    action: "junk",
    score: 0.97,
    reasons: [
      {
        code: "content",
        action: "junk",
        text: "Like messages you marked as junk (spam score 97%)",
      },
    ],
  });
  const junkRaw = Buffer.from(junk.source.raw).toString("latin1");
  assert.match(junkRaw, /\r\nX-Spam-Status: Yes, action=junk score=0\.970 tests=CONTENT\r\n/);
  assert.match(junkRaw, /\r\nX-Spam-Score: 0\.970\r\n/);

  const kept = await copyOf(carol.id, "Cheap watches");
  assert.equal(kept.mailbox.specialUse, "INBOX");
  assert.match(
    Buffer.from(kept.source.raw).toString("latin1"),
    /\r\nX-Spam-Status: No, action=inbox score=0\.100 tests=none\r\n/,
  );
  assert.notEqual(junk.sourceSha256, kept.sourceSha256, "different verdicts, different bytes");
});

test("over the reject threshold: refused only when every copy would be", async () => {
  await updateSpamSettings({ contentRejectThreshold: 0.99 });
  try {
    probabilities = { [bob.id]: 1, [carol.id]: 0.995 };
    const refused = await send("Refused by content");
    assert.equal(refused.final?.code, 550);
    assert.match(
      refused.final!.text,
      /^5\.7\.1 Like messages you marked as junk \(spam score 100%\)$/,
    );
    assert.equal(await db.message.count({ where: { subject: "Refused by content" } }), 0);

    probabilities = { [bob.id]: 1, [carol.id]: 0.2 };
    const split = await send("Split verdict");
    assert.equal(split.final?.code, 250, split.final?.text);
    assert.equal((await copyOf(bob.id, "Split verdict")).mailbox.specialUse, "JUNK");
    assert.equal((await copyOf(carol.id, "Split verdict")).mailbox.specialUse, "INBOX");
  } finally {
    await resetSpamSettings();
  }
});

test("by default content never refuses, and a failing scorer is no opinion", async () => {
  probabilities = { [bob.id]: 1, [carol.id]: 1 };
  const junked = await send("Never refused");
  assert.equal(junked.final?.code, 250, junked.final?.text);
  assert.equal((await copyOf(carol.id, "Never refused")).mailbox.specialUse, "JUNK");

  failing = true;
  try {
    const result = await send("Scorer down");
    assert.equal(result.final?.code, 250, result.final?.text);
    const copy = await copyOf(bob.id, "Scorer down");
    assert.equal(copy.mailbox.specialUse, "INBOX");
    assert.deepEqual(copy.spamVerdict, { action: "inbox", score: null, reasons: [] });
    assert.ok(gateway.logs.some((l) => /content scorer failed: model unavailable/.test(l)));
  } finally {
    failing = false;
  }
});

test("the admin overview counts Junk copies and refused messages", async () => {
  const { loadOverview } = await import("../../../lib/admin/overview.ts");
  const overview = await loadOverview();
  const sum = (key: "junk" | "rejected" | "received") =>
    overview.hourly.reduce((n, p) => n + p[key], 0);
  // Junk: Cheap watches (bob), Split verdict (bob), Never refused (both).
  assert.equal(sum("junk"), 4);
  assert.equal(sum("rejected"), 1, "Refused by content");
  // Inbox: Cheap watches and Split verdict (carol), Scorer down (both).
  assert.equal(sum("received"), 4, "Inbox copies only");
});
