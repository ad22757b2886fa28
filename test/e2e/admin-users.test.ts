// The Users section in Chromium against the production build, with the
// effects checked where users meet them: the web sign-in, SMTP submission
// (a real gateway on a socket), the admin pages themselves, the database
// for deleted mail, and the audit log.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { makeAccount, TEST_PASSWORD } from "../helpers/accounts.ts";
import { buildMail, deliverRaw } from "../helpers/mail.ts";
import { startTestGateway } from "../helpers/smtp-harness.ts";
import { cookieHeader, signInSession, submissionSession } from "../helpers/admin.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const [web, browser, gateway] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
  startTestGateway({ relay: false }),
]);
const admin = await makeAccount("chief", { role: "ADMIN" });
const { page: adminPage } = await signInSession(browser, web.url, admin.address);

async function openAccount(page: Page, address: string): Promise<void> {
  const { id } = await db.account.findUniqueOrThrow({ where: { address } });
  await page.goto(`/admin/users/${id}`);
  await page.getByRole("heading", { name: address }).waitFor();
}

/** AUTH PLAIN on the submission port after STARTTLS; returns the reply code. */
async function submissionLogin(address: string, password: string): Promise<number> {
  const { client, auth } = await submissionSession(gateway.submissionPort!, address, password);
  await client.quit();
  return auth.code;
}

async function signInFails(address: string, password: string, message: RegExp): Promise<void> {
  const context = await browser.newContext({ baseURL: web.url });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Address").fill(address);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText(message).waitFor({ timeout: 60_000 });
  assert.match(page.url(), /\/login/);
  await context.close();
}

test("an admin creates an account (policy applies) and its owner signs in", async () => {
  await adminPage.goto("/admin/users");
  const form = adminPage.getByRole("form", { name: "Create an account" });
  await form.getByLabel("Address", { exact: true }).fill("newbie@mail.test");
  await form.getByLabel("Name").fill("New Bie");
  await form.getByLabel("Initial password").fill("password123");
  await form.getByRole("button", { name: "Create account" }).click();
  await form.getByRole("alert").getByText("This password is too common").waitFor();
  assert.equal(await db.account.count({ where: { address: "newbie@mail.test" } }), 0);

  await form.getByLabel("Address", { exact: true }).fill("newbie@mail.test");
  await form.getByLabel("Initial password").fill(TEST_PASSWORD);
  await form.getByRole("button", { name: "Create account" }).click();
  await form.getByText("Created newbie@mail.test.").waitFor();
  await adminPage.getByRole("link", { name: "newbie@mail.test" }).waitFor();

  const { page } = await signInSession(browser, web.url, "newbie@mail.test");
  await page.getByText("Inbox").first().waitFor();
});

test("disabling ends the web session and refuses web and SMTP logins; enabling restores them", async () => {
  const dana = await makeAccount("dana");
  const { page: danaPage } = await signInSession(browser, web.url, dana.address);
  assert.equal(await submissionLogin(dana.address, TEST_PASSWORD), 235);

  await openAccount(adminPage, dana.address);
  await adminPage.getByRole("button", { name: "Disable account" }).click();
  await adminPage.getByText(`${dana.address} is disabled; its sessions have ended.`).waitFor();
  assert.equal(await adminPage.getByTestId("status").textContent(), "Disabled");

  await danaPage.goto("/mail");
  await danaPage.waitForURL(/\/login/);
  await signInFails(dana.address, TEST_PASSWORD, /disabled/i);
  assert.equal(await submissionLogin(dana.address, TEST_PASSWORD), 535);

  await adminPage.getByRole("button", { name: "Enable account" }).click();
  await adminPage.getByText(`${dana.address} is enabled.`).waitFor();
  assert.equal(await submissionLogin(dana.address, TEST_PASSWORD), 235);
  await signInSession(browser, web.url, dana.address);
});

test("a password reset follows the policy; the new password works and the old one does not", async () => {
  const erin = await makeAccount("erin");
  await openAccount(adminPage, erin.address);
  const form = adminPage.getByRole("form", { name: "Reset password" });
  await form.getByLabel("New password").fill("short");
  await form.getByRole("button", { name: "Reset password" }).click();
  await form.getByText("Use at least 10 characters.").waitFor();
  await form.getByLabel("New password").fill("a fresh passphrase 42");
  await form.getByRole("button", { name: "Reset password" }).click();
  await form.getByText(`The password of ${erin.address} is changed`).waitFor();

  await signInFails(erin.address, TEST_PASSWORD, /Wrong address or password/);
  await signInSession(browser, web.url, erin.address, "a fresh passphrase 42");
  assert.equal(await submissionLogin(erin.address, "a fresh passphrase 42"), 235);
});

test("a quota change shows as used/limit on the account and in the list", async () => {
  const fred = await makeAccount("fred");
  await deliverRaw([fred.id], await buildMail({ subject: "uses space", text: "x".repeat(4000) }));
  await openAccount(adminPage, fred.address);
  const form = adminPage.getByRole("form", { name: "Quota" });
  await form.getByLabel("Quota (MiB)").fill("0");
  await form.getByRole("button", { name: "Set quota" }).click();
  await form.getByText("Enter a quota above 0.").waitFor();
  await form.getByLabel("Quota (MiB)").fill("50");
  await form.getByRole("button", { name: "Set quota" }).click();
  await form.getByText(`The quota of ${fred.address} is 50 MiB.`).waitFor();
  await adminPage
    .getByTestId("storage")
    .getByText(/^[\d.]+ KiB used of 50 MiB$/)
    .waitFor();
  assert.equal(
    (await db.account.findUniqueOrThrow({ where: { id: fred.id } })).quotaBytes,
    50n * 1024n * 1024n,
  );
  await adminPage.goto(`/admin/users?q=fred`);
  const row = adminPage.getByRole("row").filter({ hasText: fred.address });
  await row.getByText(/KiB \/ 50 MiB/).waitFor();
});

test("making and revoking admin changes what the account can open", async () => {
  const gina = await makeAccount("gina");
  await openAccount(adminPage, gina.address);
  await adminPage.getByRole("button", { name: "Make admin" }).click();
  await adminPage.getByText(`${gina.address} is now an admin.`).waitFor();
  assert.equal(await adminPage.getByTestId("role").textContent(), "Admin");
  const asAdmin = await signInSession(browser, web.url, gina.address);
  assert.equal((await asAdmin.page.goto("/admin/users"))?.status(), 200);

  await adminPage.getByRole("button", { name: "Revoke admin role" }).click();
  await adminPage.getByText(`${gina.address} is no longer an admin.`).waitFor();
  // The role change ended gina's session; signed in again, she is refused.
  const again = await signInSession(browser, web.url, gina.address);
  const response = await fetch(`${web.url}/admin/users`, {
    headers: { cookie: await cookieHeader(again.context) },
  });
  assert.equal(response.status, 403);
});

test("an admin cannot demote, disable or delete themselves (clear errors, nothing changes)", async () => {
  await openAccount(adminPage, admin.address);
  await adminPage.getByRole("button", { name: "Revoke admin role" }).click();
  await adminPage.getByText("You cannot remove your own admin role.").waitFor();
  await adminPage.getByRole("button", { name: "Disable account" }).click();
  await adminPage.getByText("You cannot disable your own account.").waitFor();
  await adminPage.getByLabel(`Type ${admin.address} to confirm`).fill(admin.address);
  await adminPage.getByRole("button", { name: "Delete account and mail" }).click();
  await adminPage.getByText("You cannot delete your own account.").waitFor();
  const row = await db.account.findUniqueOrThrow({ where: { id: admin.id } });
  assert.equal(row.role, "ADMIN");
  assert.equal(row.disabled, false);
});

test("deleting an account asks for confirmation, then removes it with its unshared mail", async () => {
  const hank = await makeAccount("hank");
  const ivy = await makeAccount("ivy");
  const [own] = await deliverRaw([hank.id], await buildMail({ subject: "hank only" }));
  await deliverRaw([hank.id, ivy.id], await buildMail({ subject: "for both" }));
  const hashes = await db.message.findMany({
    where: { accountId: hank.id },
    select: { id: true, sourceSha256: true },
  });
  const ownSha = hashes.find((h) => h.id === own!.messageId)!.sourceSha256;
  const sharedSha = hashes.find((h) => h.id !== own!.messageId)!.sourceSha256;

  await openAccount(adminPage, hank.address);
  await adminPage.getByText("Deletes the account with all its mail (2 messages)").waitFor();
  await adminPage.getByLabel(`Type ${hank.address} to confirm`).fill("hank");
  await adminPage.getByRole("button", { name: "Delete account and mail" }).click();
  await adminPage.getByText(`Type ${hank.address} to confirm the deletion.`).waitFor();
  assert.equal(await db.account.count({ where: { id: hank.id } }), 1);

  await adminPage.getByLabel(`Type ${hank.address} to confirm`).fill(hank.address);
  await adminPage.getByRole("button", { name: "Delete account and mail" }).click();
  await adminPage.waitForURL(/\/admin\/users\?deleted=/);
  await adminPage.getByText(`Deleted ${hank.address}.`).waitFor();
  assert.equal(await db.account.count({ where: { id: hank.id } }), 0);
  assert.equal(await db.message.count({ where: { accountId: hank.id } }), 0);
  assert.equal(await db.messageSource.count({ where: { sha256: ownSha } }), 0);
  assert.equal(await db.messageSource.count({ where: { sha256: sharedSha } }), 1);
  assert.equal(await db.message.count({ where: { accountId: ivy.id } }), 1);
  const audit = await db.auditLog.findFirstOrThrow({ where: { action: "account.delete" } });
  assert.deepEqual(audit.details, { messages: 2, freedSources: 1 });
});

test("search finds accounts by address or name, with keyset pages", async () => {
  for (let i = 0; i < 55; i++)
    await db.account.create({
      data: {
        address: `bulk${String(i).padStart(2, "0")}@mail.test`,
        localPart: `bulk${String(i).padStart(2, "0")}`,
        domainId: (await db.domain.findUniqueOrThrow({ where: { name: "mail.test" } })).id,
        displayName: i === 7 ? "Zelda Quickfind" : `Bulk ${i}`,
        passwordHash: "x",
        quotaBytes: 1n,
      },
    });
  await adminPage.goto("/admin/users");
  await adminPage.getByLabel("Search address or name").fill("quickfind");
  await adminPage.getByRole("button", { name: "Search" }).click();
  await adminPage.waitForURL(/q=quickfind/);
  const rows = adminPage.getByRole("table", { name: "Accounts" }).getByRole("row");
  await rows.filter({ hasText: "bulk07@mail.test" }).waitFor();
  assert.equal(await rows.count(), 2);

  await adminPage.goto("/admin/users?q=bulk");
  assert.equal(await rows.count(), 51);
  await adminPage.getByRole("link", { name: "Next page" }).click();
  await adminPage.waitForURL(/after=bulk49/);
  await rows.filter({ hasText: "bulk54@mail.test" }).waitFor();
  assert.equal(await rows.count(), 6);
});

test("every change above is in the audit log with the admin and their address", async () => {
  await adminPage.goto("/admin/audit?action=account.");
  const table = adminPage.getByRole("table", { name: "Audit entries" });
  for (const action of [
    "account.create",
    "account.disable",
    "account.enable",
    "account.password_reset",
    "account.quota",
    "account.promote",
    "account.demote",
    "account.delete",
  ]) {
    const row = table.getByRole("row").filter({ hasText: action }).first();
    await row.waitFor();
    await row.getByText(admin.address).waitFor();
    await row.getByText("127.0.0.1").waitFor();
  }
  await adminPage.getByLabel("Target").fill("dana@mail.test");
  await adminPage.getByRole("button", { name: "Filter" }).click();
  await adminPage.waitForURL(/target=dana/);
  assert.equal(await table.getByRole("row").count(), 3);
  // Refused changes are not recorded as done.
  assert.equal(await db.auditLog.count({ where: { target: admin.address } }), 0);
});
