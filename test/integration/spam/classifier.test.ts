// The classifier against a real Postgres: counts written by the batch
// upserts, read back by the scorer the MX calls, per account and
// service-wide, untrained back to zero, and the gateway's in-memory copy
// of the models following what the database says.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { buildMail } from "../../helpers/mail.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { withTransaction } = await import("../../../lib/db/sql.ts");
const { scoreSpam, CLASSIFIER_CUTOFFS } = await import("../../../lib/spam/classifier/index.ts");
const { addMessageDeltas, applyTokenDeltas, loadModels } =
  await import("../../../lib/spam/classifier/token-store.ts");
const { messageTokens } = await import("../../../lib/spam/classifier/tokenize.ts");

const spammy = (i: number) =>
  buildMail({
    from: `Prize Desk <winner${i}@lotto.example>`,
    subject: `You won the lottery, claim prize ${i}`,
    text: `Congratulations! Claim your cash prize now at http://claim.lotto.example/${i}. Wire the fee today.`,
  });
const hammy = (i: number) =>
  buildMail({
    from: `Bob Colleague <bob@work.example>`,
    subject: `Minutes of the design review ${i}`,
    text: `Hi team, attached are the notes from the review meeting; the schema change lands next sprint.`,
  });

async function train(accountId: string, raws: Buffer[], spam: number, ham: number) {
  const deltas = new Map();
  for (const raw of raws) addMessageDeltas(deltas, messageTokens(raw), spam, ham);
  await withTransaction((client) => applyTokenDeltas(client, accountId, deltas));
}

const list = async (make: (i: number) => Promise<Buffer>, n: number) =>
  Promise.all(Array.from({ length: n }, (_, i) => make(i)));

test("no verdict before training; trained models tell spam from ham, per account and service-wide", async () => {
  const alice = await makeAccount("alice");
  const carol = await makeAccount("carol");
  const probe = await buildMail({
    from: "Prize Desk <winner99@lotto.example>",
    subject: "You won the lottery, claim prize",
    text: "Claim your cash prize now at http://claim.lotto.example/99. Wire the fee.",
  });
  assert.equal(await scoreSpam({ accountId: alice.id, source: probe }), null);

  await train(alice.id, await list(spammy, 12), 1, 0);
  await train(alice.id, await list(hammy, 12), 0, 1);
  const spam = await scoreSpam({ accountId: alice.id, source: probe });
  assert.ok(
    spam && spam.spamProbability >= CLASSIFIER_CUTOFFS.spam,
    `spam: ${spam?.spamProbability}`,
  );
  assert.deepEqual(spam.reasons, ["Like messages you marked as junk"]);
  const ham = await scoreSpam({
    accountId: alice.id,
    source: await buildMail({
      from: "Bob Colleague <bob@work.example>",
      subject: "Notes of the review",
      text: "Hi team, the notes from the meeting; the schema change lands next sprint.",
    }),
  });
  assert.ok(ham && ham.spamProbability <= CLASSIFIER_CUTOFFS.ham, `ham: ${ham?.spamProbability}`);
  assert.deepEqual(ham.reasons, ["Like messages you marked as not junk"]);

  // Carol never trained: the service-wide model (Alice's marks) judges for her.
  const forCarol = await scoreSpam({ accountId: carol.id, source: probe });
  assert.ok(forCarol && forCarol.spamProbability >= CLASSIFIER_CUTOFFS.spam);
  assert.deepEqual(forCarol.reasons, ["Like messages people here marked as junk"]);
  assert.equal(await db.spamToken.count({ where: { accountId: carol.id } }), 0);

  const models = await loadModels(alice.id);
  assert.deepEqual(
    [
      models.user.spamMessages,
      models.user.hamMessages,
      models.service.spamMessages,
      models.service.hamMessages,
    ],
    [12, 12, 12, 12],
  );
});

test("untraining takes counts back to zero; the rows stay for the pruning job", async () => {
  const dave = await makeAccount("dave");
  const raws = await list(spammy, 3);
  await train(dave.id, raws, 1, 0);
  const rows = await db.spamToken.count({ where: { accountId: dave.id } });
  assert.ok(rows > 20);
  // Retrain one as ham: counts move in one upsert, rows stay.
  await train(dave.id, raws.slice(0, 1), -1, 1);
  const models = await loadModels(dave.id);
  assert.deepEqual([models.user.spamMessages, models.user.hamMessages], [2, 1]);
  await train(dave.id, raws.slice(0, 1), 0, -1);
  await train(dave.id, raws.slice(1), -1, 0);
  const left = await db.spamToken.findMany({ where: { accountId: dave.id } });
  assert.equal(left.length, rows);
  assert.ok(left.every((r) => r.spam === 0 && r.ham === 0));
  // Feature 0 counts the model's versions: one per training.
  assert.equal(Number(left.find((r) => r.token === 0n)!.changed), 4);
  const after = await loadModels(dave.id);
  assert.deepEqual([after.user.spamMessages, after.user.hamMessages], [0, 0]);
});

test("the held models follow the database: new training, deleted rows, a model made anew", async () => {
  const erin = await makeAccount("erin");
  const probe = await spammy(50);
  const [feature] = messageTokens(probe);
  await train(erin.id, await list(spammy, 12), 1, 0);
  await train(erin.id, await list(hammy, 12), 0, 1);
  const first = await loadModels(erin.id);
  assert.equal(first.user.spamMessages, 12);
  const before = first.user.tokens.get(feature!)?.spam ?? 0;
  // Written by "another gateway": only the database knows.
  await train(erin.id, [probe], 1, 0);
  const second = await loadModels(erin.id);
  assert.equal(second.user.spamMessages, 13);
  assert.equal(second.user.tokens.get(feature!)?.spam, before + 1);
  // Rows deleted with a new generation (what pruning does): read whole again.
  await db.$executeRaw`DELETE FROM "SpamToken" WHERE "accountId" = ${erin.id}::uuid AND "token" = ${feature}`;
  await db.$executeRaw`UPDATE "SpamToken" SET "generation" = "generation" + 1 WHERE "accountId" = ${erin.id}::uuid AND "token" = 0`;
  assert.equal((await loadModels(erin.id)).user.tokens.get(feature!), undefined);
  // The model deleted and trained anew from scratch.
  await db.spamToken.deleteMany({ where: { accountId: erin.id } });
  assert.equal((await loadModels(erin.id)).user.spamMessages, 0);
  await train(erin.id, [probe], 1, 0);
  const anew = await loadModels(erin.id);
  assert.deepEqual([anew.user.spamMessages, anew.user.tokens.get(feature!)?.spam], [1, 1]);
});
