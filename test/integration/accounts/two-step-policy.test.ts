// Admins' two-step requirements and the second-factor reset against a real
// Postgres: a domain's or the admins' requirement covers exactly those
// accounts, only after its grace period does it send them to enrol, two-step
// on lifts the obligation, and the reset turns two-step off while keeping
// app passwords.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Secret, TOTP } from "otpauth";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const policy = await import("../../../lib/auth/two-step-policy.ts");
const { createAppPassword, listAppPasswords } = await import("../../../lib/auth/app-passwords.ts");
const { UserError } = await import("../../../lib/errors.ts");
const factors = await import("../../../lib/accounts/two-step-factors.ts");

const DAY = 86_400_000;
const isCode = (code: string) => (e: unknown) => e instanceof UserError && e.code === code;

test("a domain's requirement covers its accounts after the grace period, until they turn two-step on", async () => {
  const user = await makeAccount("ann", { domain: "corp.test" });
  const elsewhere = await makeAccount("al", { domain: "home.test" });
  const domain = await db.domain.findUniqueOrThrow({ where: { name: "corp.test" } });
  const now = new Date();
  const made = await policy.requireTwoStep({ kind: "domain", domainId: domain.id }, "7", now);
  assert.equal(made.label, "corp.test");
  assert.equal(made.enforcedFrom.getTime(), now.getTime() + 7 * DAY);

  const during = await policy.twoStepObligation(user.id, now);
  assert.deepEqual(during, { enforcedFrom: made.enforcedFrom, overdue: false });
  assert.equal(await policy.mustEnrolTwoStep(user.id, now), false);
  assert.equal(await policy.mustEnrolTwoStep(user.id, new Date(now.getTime() + 8 * DAY)), true);
  assert.equal(await policy.twoStepObligation(elsewhere.id, now), null);

  await db.account.update({ where: { id: user.id }, data: { twoStepEnabledAt: new Date() } });
  assert.equal(await policy.mustEnrolTwoStep(user.id, new Date(now.getTime() + 8 * DAY)), false);

  assert.equal(await policy.liftTwoStepRequirement(`domain:${domain.id}`), "corp.test");
  await assert.rejects(policy.liftTwoStepRequirement(`domain:${domain.id}`), isCode("not_found"));
});

test("the admins' requirement covers admins only; bad input is refused", async () => {
  const admin = await makeAccount("boss", { role: "ADMIN" });
  const user = await makeAccount("staff");
  await policy.requireTwoStep({ kind: "admins" }, 0);
  assert.equal(await policy.mustEnrolTwoStep(admin.id), true);
  assert.equal(await policy.mustEnrolTwoStep(user.id), false);
  assert.deepEqual(
    (await policy.listTwoStepRequirements()).map((r) => r.label),
    ["All admins"],
  );
  for (const days of ["-1", "91", "2.5", "soon"]) {
    await assert.rejects(policy.requireTwoStep({ kind: "admins" }, days), isCode("invalid_input"));
  }
  await assert.rejects(
    policy.requireTwoStep({ kind: "domain", domainId: "not-a-domain" }, 1),
    isCode("not_found"),
  );
  await policy.liftTwoStepRequirement("admins");
  assert.equal(await policy.mustEnrolTwoStep(admin.id), false);
});

test("resetting a user's second factor removes the authenticator app and recovery codes, turns two-step off and keeps app passwords", async () => {
  const user = await makeAccount("lostphone");
  // Enrolled as the Security page does: an app confirmed by its first code.
  const enrolment = await factors.startTotpEnrolment(user.id);
  const secret = new TOTP({ secret: Secret.fromBase32(enrolment.secret) });
  const codes = await factors.confirmTotpEnrolment(user.id, secret.generate());
  assert.equal(codes.length, 10);
  await createAppPassword(user.id, "Phone");
  assert.deepEqual(await policy.resetTwoStepOf(user.id), { address: user.address });
  const after = await db.account.findUniqueOrThrow({ where: { id: user.id } });
  assert.equal(after.twoStepEnabledAt, null);
  assert.equal(await db.totpFactor.count({ where: { accountId: user.id } }), 0);
  assert.equal(await db.recoveryCode.count({ where: { accountId: user.id } }), 0);
  assert.equal((await listAppPasswords(user.id)).length, 1);
  await assert.rejects(policy.resetTwoStepOf("nope"), isCode("not_found"));
});
