// The overview's figures against a real Postgres: the hourly rollup kept by
// lib/store counts every delivery (concurrent ones too) in the hour and day
// it arrived, Sent copies as sent, and nothing older than the windows.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { buildMail, deliverMail } from "../../helpers/mail.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { loadOverview } = await import("../../../lib/admin/overview.ts");
const { submitMessage } = await import("../../../lib/submission/submit-message.ts");

const HOUR = 3_600_000;
const now = new Date();

test("deliveries are counted in their hour and day, concurrent ones exactly", async () => {
  const bob = await makeAccount("bob");
  const alice = await makeAccount("alice");
  const twoHoursAgo = new Date(now.getTime() - 2 * HOUR);
  const fiveDaysAgo = new Date(now.getTime() - 5 * 24 * HOUR);
  const longAgo = new Date(now.getTime() - 40 * 24 * HOUR);
  await deliverMail(bob.id, { subject: "two hours" }, twoHoursAgo);
  await deliverMail(bob.id, { subject: "five days" }, fiveDaysAgo);
  await deliverMail(bob.id, { subject: "long ago" }, longAgo);
  // Concurrent deliveries share group-commit batches and counter slots.
  await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      deliverMail(i % 2 ? bob.id : alice.id, { subject: `c${i}` }),
    ),
  );
  await submitMessage({
    accountId: alice.id,
    recipients: [bob.address],
    raw: await buildMail({ from: alice.address, to: bob.address, subject: "sent" }),
    via: { protocol: "webmail", clientIp: "127.0.0.1" },
  });

  const overview = await loadOverview(now);
  const total = (points: { received: number; sent: number }[]) =>
    points.reduce((t, p) => ({ received: t.received + p.received, sent: t.sent + p.sent }), {
      received: 0,
      sent: 0,
    });
  assert.deepEqual(total(overview.hourly), { received: 42, sent: 1 });
  assert.deepEqual(overview.hourly.at(-1), {
    start: overview.hourly.at(-1)!.start,
    received: 41,
    sent: 1,
    junk: 0,
    rejected: 0,
  });
  assert.equal(overview.hourly.at(-3)!.received, 1, "two hours ago");
  assert.deepEqual(total(overview.daily), { received: 43, sent: 1 }, "40 days ago is outside");
  const volumeRows = await db.mailVolumeHour.count();
  assert.ok(volumeRows >= 3, "rows per hour (and slot)");
  assert.deepEqual(
    overview.largestAccounts.map((a) => a.address),
    [bob.address, alice.address],
  );
  assert.equal(overview.signups.at(-1)!.count, 2);
});
