// Two-step verification with an authenticator app, in Chromium against the
// production build: enrolment from the Security page (QR code, key as text,
// confirmed by a first code, 10 recovery codes shown once and stored
// hashed), sign-in with the password and then a code computed here, replayed
// codes and used recovery codes refused, no session before the second step,
// a forged or expired pending sign-in refused, and turning it off with the
// password and a code.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { makeAccount, TEST_PASSWORD } from "../helpers/accounts.ts";
import { seriousAxeViolations } from "../helpers/mail.ts";
import {
  assertActionNeedsSession,
  interceptServerAction,
  signInAs,
} from "../helpers/admin-access.ts";
import {
  authenticatorCode,
  newPage,
  passwordStep,
  refusal,
  submitCode,
} from "../helpers/two-step.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
for (const route of ["/login", "/login/verify", "/mail", "/settings/security"]) {
  await fetch(`${web.url}${route}`);
}

/** Turns two-step on from the Security page; returns the key and the recovery codes shown. */
async function enrol(
  page: Page,
): Promise<{ secret: string; codes: string[]; enrolmentCode: string }> {
  await page.goto("/settings");
  await page.getByRole("link", { name: "Security settings" }).click();
  await page.waitForURL(/\/settings\/security$/);
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const qr = await page.getByAltText("QR code for your authenticator app").getAttribute("src");
  assert.match(qr ?? "", /^data:image\/svg\+xml;base64,/);
  // A code of another time is refused, and two-step stays off.
  await page.getByLabel("Code from the app").fill(authenticatorCode(secret, -20));
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.getByText("That code is not right").waitFor();
  const enrolmentCode = authenticatorCode(secret);
  await page.getByLabel("Code from the app").fill(enrolmentCode);
  await page.getByRole("button", { name: "Turn on" }).click();
  const list = page.getByRole("list", { name: "Recovery codes" });
  await list.waitFor();
  const codes = (await list.getByRole("listitem").allTextContents()).map((c) => c.trim());
  await page.getByRole("button", { name: "I have saved my codes" }).click();
  await page.getByTestId("two-step-status").filter({ hasText: "on" }).waitFor();
  return { secret, codes, enrolmentCode };
}

test("enrol, sign in with a code, replayed codes and used recovery codes are refused", async () => {
  const account = await makeAccount("tina");
  const page = await newPage(browser, web.url);
  await signInAs(page, account.address);
  const { secret, codes, enrolmentCode } = await enrol(page);
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  for (const code of codes) assert.match(code, /^[0-9a-z]{5}-[0-9a-z]{5}$/);
  assert.deepEqual(await seriousAxeViolations(page), []);

  const stored = await db.account.findUniqueOrThrow({
    where: { id: account.id },
    select: { twoStepEnabledAt: true, totpFactor: true, recoveryCodes: true },
  });
  assert.ok(stored.twoStepEnabledAt);
  assert.equal(stored.totpFactor?.secret, secret);
  assert.equal(stored.recoveryCodes.length, 10);
  for (const row of stored.recoveryCodes) {
    assert.match(row.codeHash, /^\$argon2id\$/);
    for (const code of codes) assert.ok(!row.codeHash.includes(code.replace("-", "")));
  }

  // The password alone opens nothing: the second step's page, no session.
  const other = await newPage(browser, web.url);
  await passwordStep(other, account.address);
  const session = await other.request.get("/api/auth/session");
  assert.deepEqual(await session.json(), {});
  const mail = await other.request.get("/mail", { maxRedirects: 0 });
  assert.ok([303, 307].includes(mail.status()), `GET /mail answered ${mail.status()}`);
  assert.equal(await db.webSession.count({ where: { accountId: account.id } }), 1);

  // The enrolment's own code is used up.
  await submitCode(other, enrolmentCode);
  assert.match(await refusal(other), /not right/);

  // A third browser waits at the second step while the second signs in
  // with the next step's code (within the ±1 step window)...
  const third = await newPage(browser, web.url);
  await passwordStep(third, account.address);
  const nextStep = BigInt(Math.floor(Date.now() / 30_000) + 1);
  const next = authenticatorCode(secret, 1);
  await submitCode(other, next);
  await other.waitForURL(/\/mail/);
  assert.equal(await db.webSession.count({ where: { accountId: account.id } }), 2);
  // Only the third browser's pending sign-in is left: the second's was used up.
  assert.equal(await db.pendingSignIn.count({ where: { accountId: account.id } }), 1);
  // ...then tries the same code at once: refused (replay), though it is still in the window.
  await submitCode(third, next);
  assert.match(await refusal(third), /not right/);
  const factor = await db.totpFactor.findUniqueOrThrow({ where: { accountId: account.id } });
  assert.ok(factor.lastUsedStep !== null && factor.lastUsedStep >= nextStep);
  // A recovery code signs in, typed in capitals and without its dash.
  await submitCode(third, codes[3]!.replace("-", "").toUpperCase());
  await third.waitForURL(/\/mail/);
  const used = await db.recoveryCode.count({
    where: { accountId: account.id, usedAt: { not: null } },
  });
  assert.equal(used, 1);

  // The used recovery code is refused the next time.
  const fourth = await newPage(browser, web.url);
  await passwordStep(fourth, account.address);
  await submitCode(fourth, codes[3]!);
  assert.match(await refusal(fourth), /not right/);
  await submitCode(fourth, codes[4]!);
  await fourth.waitForURL(/\/mail/);

  // The history has the second steps, refused and accepted.
  const events = await db.signInEvent.findMany({
    where: { accountId: account.id, protocol: "web-2fa" },
  });
  assert.ok(events.some((e) => e.outcome === "FAILURE"));
  assert.ok(events.some((e) => e.outcome === "SUCCESS"));
});

test("the second step cannot be skipped, forged or used late", async () => {
  const account = await makeAccount("uma");
  const page = await newPage(browser, web.url);
  await signInAs(page, account.address);
  const { secret } = await enrol(page);

  // Without the password step, the second step's page sends to sign-in.
  const anonymous = await fetch(`${web.url}/login/verify`, { redirect: "manual" });
  assert.ok([303, 307].includes(anonymous.status));
  assert.match(anonymous.headers.get("location") ?? "", /\/login$/);

  const other = await newPage(browser, web.url);
  await passwordStep(other, account.address);
  const cookies = await other.context().cookies();
  const pending = cookies.find((c) => c.name === "mail.pending-sign-in");
  assert.ok(pending, "the pending sign-in cookie is set");
  assert.equal(pending.httpOnly, true);
  assert.equal(pending.sameSite, "Lax");

  // A cookie whose signature is not ours (another pending row's id) is refused.
  const [accountId, , mac] = pending.value.split(".");
  const forged = `${accountId}.00000000-0000-4000-8000-000000000000.${mac}`;
  await other.context().addCookies([{ ...pending, value: forged }]);
  await submitCode(other, authenticatorCode(secret, 1));
  assert.match(await refusal(other), /took too long/);
  await other.context().addCookies([pending]);

  // An expired pending sign-in is refused even with a right code.
  await db.pendingSignIn.updateMany({
    where: { accountId: account.id },
    data: { expiresAt: new Date(Date.now() - 1000) },
  });
  await submitCode(other, authenticatorCode(secret, 1));
  assert.match(await refusal(other), /took too long/);
  assert.equal(await db.webSession.count({ where: { accountId: account.id } }), 1);

  // The second-step callback needs next-auth's CSRF token: a bare post is refused.
  const bare = await other.request.post("/api/auth/callback/second-step", {
    form: { code: authenticatorCode(secret, 1), json: "true" },
    maxRedirects: 0,
  });
  assert.match(((await bare.json()) as { url: string }).url, /csrf=true/);
  assert.equal(await db.webSession.count({ where: { accountId: account.id } }), 1);
});

test("turning two-step off asks for the password and a code", async () => {
  const account = await makeAccount("vic");
  const page = await newPage(browser, web.url);
  await signInAs(page, account.address);
  const { secret, codes } = await enrol(page);

  const off = page.getByRole("button", { name: "Turn off" });
  await page.getByLabel("Password", { exact: true }).fill("not the password");
  await page.getByLabel("Code from your app or a recovery code").fill(codes[0]!);
  await off.click();
  await page.getByText("Your current password is not right.").waitFor();
  await page.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
  await page.getByLabel("Code from your app or a recovery code").fill("123456");
  await off.click();
  await page.getByText("That code is not right").waitFor();
  assert.ok((await db.account.findUniqueOrThrow({ where: { id: account.id } })).twoStepEnabledAt);

  // The action replayed from another site's page, or without a session, changes nothing.
  await page.getByLabel("Code from your app or a recovery code").fill(authenticatorCode(secret, 1));
  const request = await interceptServerAction(page, () => off.click());
  const foreign = await page.request.post(new URL(request.url()).pathname, {
    headers: { ...(await request.allHeaders()), origin: "http://evil.example" },
    data: request.postDataBuffer() ?? Buffer.alloc(0),
    maxRedirects: 0,
  });
  assert.ok(foreign.status() >= 400, `cross-site answered ${foreign.status()}`);
  await assertActionNeedsSession(web.url, request);
  assert.ok((await db.account.findUniqueOrThrow({ where: { id: account.id } })).twoStepEnabledAt);

  await page.reload();
  await page.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
  await page.getByLabel("Code from your app or a recovery code").fill(authenticatorCode(secret, 1));
  await page.getByRole("button", { name: "Turn off" }).click();
  await page.getByTestId("two-step-status").filter({ hasText: "off" }).waitFor();
  const stored = await db.account.findUniqueOrThrow({
    where: { id: account.id },
    select: {
      twoStepEnabledAt: true,
      totpFactor: true,
      _count: { select: { recoveryCodes: true } },
    },
  });
  assert.equal(stored.twoStepEnabledAt, null);
  assert.equal(stored.totpFactor, null);
  assert.equal(stored._count.recoveryCodes, 0);

  // The password alone signs in again.
  const again = await newPage(browser, web.url);
  await signInAs(again, account.address);
});

test("the Security page sends anonymous visitors to sign in", async () => {
  const response = await fetch(`${web.url}/settings/security`, { redirect: "manual" });
  assert.ok([303, 307].includes(response.status));
  assert.match(response.headers.get("location") ?? "", /\/login$/);
});
