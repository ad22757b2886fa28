// Invite-only signup in Chromium against the production build: an admin
// switches signup to invite-only and makes an invite (its link copied from
// the page, shown only once); a visitor signs up with the link and reaches
// the inbox; the same link is refused next time, as is a visitor without a
// code and one with a revoked code. Every step is in the audit log.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount, TEST_PASSWORD } from "../helpers/accounts.ts";
import { SLOW_TIMEOUT_MS, signInSession } from "../helpers/admin.ts";
import { seriousAxeViolations } from "../helpers/mail.ts";
import type { Page } from "playwright-core";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
const admin = await makeAccount("chief", { role: "ADMIN" });
const { page, context } = await signInSession(browser, web.url, admin.address);
await context.grantPermissions(["clipboard-read", "clipboard-write"]);

/** A fresh visitor's signup page at `url`, with the form filled for `localPart`. */
async function fillSignup(url: string, localPart: string): Promise<Page> {
  const visitor = await newContext(browser, web.url);
  visitor.setDefaultTimeout(SLOW_TIMEOUT_MS);
  const signup = await visitor.newPage();
  await signup.goto(url);
  await signup.getByLabel("Your name").fill(localPart);
  await signup.getByLabel("Address").fill(localPart);
  await signup.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
  await signup.getByLabel("Confirm password").fill(TEST_PASSWORD);
  return signup;
}

/** Makes an invite on /admin/invites; returns the link the copy button puts on the clipboard. */
async function createInvite(): Promise<string> {
  await page.goto("/admin/invites");
  const form = page.getByRole("form", { name: "Create an invite" });
  assert.equal(await form.getByLabel("Uses").inputValue(), "1");
  assert.equal(await form.getByLabel("Valid for (days)").inputValue(), "7");
  await form.getByRole("button", { name: "Create invite" }).click();
  const created = page.getByRole("region", { name: "New invite" });
  await created.waitFor();
  await created.getByRole("button", { name: "Copy invite link" }).click();
  await created.getByText("Copied").waitFor();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, await created.locator(".invite-link").textContent());
  const code = (await created.locator(".invite-code").textContent())!;
  assert.equal(link, `${web.url}/signup?invite=${code}`);
  return link;
}

test("invite-only: a link signs one visitor up, then is refused; no code, no signup", async () => {
  await page.goto("/admin/settings");
  const settings = page.getByRole("form", { name: "Service settings" });
  await settings.getByLabel("Signup").selectOption("invite");
  await settings.getByRole("button", { name: "Save settings" }).click();
  await settings.getByText(/Settings saved/).waitFor();
  await page.getByRole("navigation", { name: "Admin sections" }).getByText("Invites").click();
  await page.waitForURL(/\/admin\/invites$/);
  await page.getByText("Signup is invite-only").waitFor();

  const link = await createInvite();
  assert.deepEqual(await seriousAxeViolations(page), [], "invites page with a new code");
  // Shown once: a reload lists the invite but no longer shows its code.
  await page.reload();
  const code = new URL(link).searchParams.get("invite")!;
  assert.equal(await page.getByText(code).count(), 0);
  const row = page.getByRole("table", { name: "Invites" }).locator("tbody tr").first();
  const cells = (await row.locator("td").allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(
    [cells[0], cells[1], cells[2], cells[4]],
    ["active", "any signup domain", "0 / 1", admin.address],
  );

  // The visitor follows the link: the code is filled in, signup reaches the inbox.
  const invited = await fillSignup(link, "newcomer");
  assert.equal(await invited.getByLabel("Invite code").inputValue(), code);
  assert.deepEqual(await seriousAxeViolations(invited), [], "signup page with an invite");
  await invited.getByRole("button", { name: "Create account" }).click();
  await invited.waitForURL(/\/mail$/);
  await invited.getByRole("heading", { name: "Inbox" }).waitFor();
  assert.match(await invited.getByTestId("signed-in-as").innerText(), /newcomer@mail\.test/);

  // The same link again: the page says so at once, and a submission is refused.
  const again = await fillSignup(link, "latecomer");
  await again.getByText("This invite has already been used. Ask for a new one.").waitFor();
  await again.getByRole("button", { name: "Create account" }).click();
  await again.locator("#invite-error").getByText("already been used").waitFor();
  assert.equal(again.url(), `${web.url}/signup?invite=${code}`);

  // No code at all.
  const uninvited = await fillSignup("/signup", "gatecrasher");
  assert.equal(await uninvited.getByLabel("Invite code").inputValue(), "");
  await uninvited.getByRole("button", { name: "Create account" }).click();
  await uninvited
    .getByText("Signup is by invitation: enter the invite code you were sent.")
    .waitFor();

  assert.deepEqual(
    (await db.account.findMany({ where: { role: "USER" }, select: { address: true } })).map(
      (a) => a.address,
    ),
    ["newcomer@mail.test"],
  );
  await page.reload();
  await row.locator("td", { hasText: "1 / 1" }).waitFor();
  assert.equal((await row.locator(".invite-status").innerText()).trim(), "used");
});

test("a revoked invite is refused; every change is audited without the code", async () => {
  const link = await createInvite();
  await page.reload();
  const row = page.getByRole("table", { name: "Invites" }).locator("tbody tr").first();
  await row.getByRole("button", { name: "Revoke" }).click();
  // The row's form gives way to when it was revoked.
  await row.locator(".invite-status", { hasText: "revoked" }).waitFor();
  await row.getByText(/^revoked \d{4}-/).waitFor();
  assert.equal(await row.getByRole("button", { name: "Revoke" }).count(), 0);

  const refused = await fillSignup(link, "toolate");
  await refused.getByText("This invite has been withdrawn.").waitFor();
  await refused.getByRole("button", { name: "Create account" }).click();
  await refused.locator("#invite-error").getByText("withdrawn").waitFor();
  assert.equal(await db.account.count({ where: { address: "toolate@mail.test" } }), 0);

  const entries = await db.auditLog.findMany({ orderBy: { createdAt: "asc" } });
  assert.deepEqual(
    entries.map((e) => `${e.action} ${e.actor}`),
    [
      `settings.update ${admin.address}`,
      `invite.create ${admin.address}`,
      `invite.create ${admin.address}`,
      `invite.revoke ${admin.address}`,
    ],
  );
  const code = new URL(link).searchParams.get("invite")!;
  assert.ok(!JSON.stringify(entries).includes(code));
});
