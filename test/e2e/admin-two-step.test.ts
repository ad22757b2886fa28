// Admin controls of two-step verification in Chromium against the
// production build: the users list and an account's page say whether it has
// two-step on, the reset turns it off (audited); a domain's requirement with
// no grace period sends its users to the Security page when they sign in,
// and lifting it lets them into mail. The actions refuse non-admins (403)
// and anonymous callers (sign-in).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount, TEST_PASSWORD } from "../helpers/accounts.ts";
import { signInSession } from "../helpers/admin.ts";
import {
  assertActionAdminOnly,
  assertPageAdminOnly,
  interceptServerAction,
  waitForHydration,
} from "../helpers/admin-access.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
const admin = await makeAccount("chief", { role: "ADMIN" });
const plain = await makeAccount("plain");
const adminSession = await signInSession(browser, web.url, admin.address);
const userSession = await signInSession(browser, web.url, plain.address);

/** Signs in on the form and returns the path the browser lands on. */
async function signInLanding(page: Page, address: string, landing: RegExp): Promise<string> {
  await page.goto("/login");
  await waitForHydration(page, "form");
  await page.getByLabel("Address").fill(address);
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(landing, { timeout: 90_000 });
  return new URL(page.url()).pathname;
}

test("the admin sees who has two-step on and resets a user's second factor (audited)", async () => {
  const user = await makeAccount("lostphone");
  await db.account.update({ where: { id: user.id }, data: { twoStepEnabledAt: new Date() } });
  const page = adminSession.page;
  await page.goto(`/admin/users?q=lostphone`);
  const row = page.getByRole("row").filter({ hasText: user.address });
  assert.equal(await row.getByTestId("two-step").innerText(), "On");
  await page.goto(`/admin/users/${user.id}`);
  assert.match(await page.getByTestId("two-step").innerText(), /^On since /);

  await assertPageAdminOnly(web.url, "/admin/security", userSession.context);
  page.once("dialog", (dialog) => void dialog.accept());
  const captured = await interceptServerAction(page, () =>
    page.getByRole("button", { name: "Reset second factor" }).click(),
  );
  await assertActionAdminOnly(web.url, captured, userSession.context);
  assert.ok((await db.account.findUniqueOrThrow({ where: { id: user.id } })).twoStepEnabledAt);

  await page.reload();
  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByRole("button", { name: "Reset second factor" }).click();
  await page.getByText("second factors removed, two-step verification is off").waitFor();
  assert.equal(await page.getByTestId("two-step").innerText(), "Off");
  const stored = await db.account.findUniqueOrThrow({ where: { id: user.id } });
  assert.equal(stored.twoStepEnabledAt, null);
  const audit = await db.auditLog.findFirstOrThrow({ where: { action: "account.two_step_reset" } });
  assert.equal(audit.target, user.address);
  assert.equal(audit.actorId, admin.id);
});

test("a domain's requirement without grace sends its users to enrol; lifted, they reach mail", async () => {
  const user = await makeAccount("worker", { domain: "corp.test" });
  const page = adminSession.page;
  await page.goto("/admin/security");
  await page.getByText("Two-step verification is not required for anyone.").waitFor();
  await page.getByLabel("Require for").selectOption({ label: "Everyone at corp.test" });
  await page.getByLabel(/Grace period/).fill("0");
  const captured = await interceptServerAction(page, () =>
    page.getByRole("button", { name: "Require two-step verification" }).click(),
  );
  await assertActionAdminOnly(web.url, captured, userSession.context);
  assert.equal(await db.twoStepRequirement.count(), 0);

  await page.reload();
  await page.getByLabel("Require for").selectOption({ label: "Everyone at corp.test" });
  await page.getByLabel(/Grace period/).fill("0");
  await page.getByRole("button", { name: "Require two-step verification" }).click();
  await page.getByText(/Two-step verification is required for corp\.test from/).waitFor();
  const table = page.getByRole("table", { name: "Two-step requirements" });
  await table.getByText("corp.test").waitFor();
  assert.ok(await db.auditLog.findFirst({ where: { action: "two_step.require" } }));

  const userPage = await (await newContext(browser, web.url)).newPage();
  const landed = await signInLanding(userPage, user.address, /\/settings\/security/);
  assert.equal(landed, "/settings/security");
  // Others (another domain, no admin requirement) still reach mail.
  await userSession.page.goto("/mail");
  assert.equal(new URL(userSession.page.url()).pathname, "/mail");

  const lift = await interceptServerAction(page, () =>
    page.getByRole("button", { name: "Stop requiring" }).click(),
  );
  await assertActionAdminOnly(web.url, lift, userSession.context);
  await page.reload();
  await page.getByRole("button", { name: "Stop requiring" }).click();
  // Its row (and so its form's notice) is gone with it.
  await page.getByTestId("no-requirements").waitFor();
  assert.equal(await db.twoStepRequirement.count(), 0);
  await userPage.goto("/mail");
  assert.equal(new URL(userPage.url()).pathname, "/mail");
});
