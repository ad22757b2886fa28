// The settings page in Chromium against the production build: display name
// and signature saved and shown, automatic replies saved (and refused when
// incomplete), password change with form errors, the old password refused
// afterwards, other sessions ended and this one kept.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount, TEST_PASSWORD } from "../helpers/accounts.ts";
import { seriousAxeViolations, signIn } from "../helpers/mail.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
// Load the pages' code once before the timed steps: on a busy machine the
// first render of each route is the slow one.
for (const route of ["/login", "/mail", "/settings"]) await fetch(`${web.url}${route}`);

async function openSettings(page: Page) {
  await page.getByRole("link", { name: "Settings" }).click();
  await page.waitForURL(/\/settings$/);
  await page.getByRole("heading", { name: "Settings" }).waitFor();
}

test("display name and signature are saved and shown", async () => {
  const account = await makeAccount("sam");
  const page = await (await newContext(browser, web.url)).newPage();
  await signIn(page, "sam@mail.test");
  await openSettings(page);
  assert.deepEqual(await seriousAxeViolations(page), []);

  await page.getByLabel("Display name").fill("Sam Sender");
  await page.getByLabel("Signature").fill("Sam Sender\nHead of Testing\n+1 555 0100");
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.getByText("Profile saved.").waitFor();

  const stored = await db.account.findUniqueOrThrow({ where: { id: account.id } });
  assert.equal(stored.displayName, "Sam Sender");
  assert.equal(stored.signature, "Sam Sender\nHead of Testing\n+1 555 0100");

  await page.reload();
  assert.equal(await page.getByLabel("Display name").inputValue(), "Sam Sender");
  assert.equal(
    await page.getByLabel("Signature").inputValue(),
    "Sam Sender\nHead of Testing\n+1 555 0100",
  );
  await page.getByRole("link", { name: "Back to mail" }).click();
  await page.waitForURL(/\/mail$/);
  assert.match(await page.getByTestId("signed-in-as").innerText(), /Sam Sender/);

  // Too long a signature is refused with a form error, nothing saved.
  await openSettings(page);
  await page.getByLabel("Signature").fill("x".repeat(2001));
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.getByText("Use at most 2000 characters.").waitFor();
  const unchanged = await db.account.findUniqueOrThrow({ where: { id: account.id } });
  assert.equal(unchanged.signature, "Sam Sender\nHead of Testing\n+1 555 0100");
});

test("automatic replies are saved, and refused without a message or with dates reversed", async () => {
  const account = await makeAccount("val");
  const page = await (await newContext(browser, web.url, { timezoneId: "Europe/Paris" })).newPage();
  await signIn(page, "val@mail.test");
  await openSettings(page);

  await page.getByLabel("Send automatic replies").check();
  await page.getByRole("button", { name: "Save automatic replies" }).click();
  await page.getByText("Write the message people get while you are away.").waitFor();

  await page.getByLabel("First day").fill("2026-12-20");
  await page.getByLabel("Last day").fill("2026-12-10");
  await page.getByLabel("Reply subject").fill("Away for the holidays");
  await page.getByLabel("Reply message").fill("Back on 5 January.\nVal");
  await page.getByRole("button", { name: "Save automatic replies" }).click();
  await page.getByText("The last day cannot be before the first day.").waitFor();
  assert.equal(await db.vacationResponder.count({ where: { accountId: account.id } }), 0);

  await page.getByLabel("Last day").fill("2027-01-04");
  await page.getByRole("button", { name: "Save automatic replies" }).click();
  await page.getByText("Automatic replies saved.").waitFor();

  const stored = await db.vacationResponder.findUniqueOrThrow({
    where: { accountId: account.id },
  });
  assert.deepEqual(
    {
      enabled: stored.enabled,
      subject: stored.subject,
      body: stored.body,
      startDate: stored.startDate,
      endDate: stored.endDate,
      timeZone: stored.timeZone,
      replyIntervalDays: stored.replyIntervalDays,
    },
    {
      enabled: true,
      subject: "Away for the holidays",
      body: "Back on 5 January.\nVal",
      startDate: "2026-12-20",
      endDate: "2027-01-04",
      timeZone: "Europe/Paris",
      replyIntervalDays: 4,
    },
  );

  await page.reload();
  assert.equal(await page.getByLabel("Send automatic replies").isChecked(), true);
  assert.equal(await page.getByLabel("Last day").inputValue(), "2027-01-04");
  assert.equal(await page.getByLabel("Reply message").inputValue(), "Back on 5 January.\nVal");

  await page.getByLabel("Send automatic replies").uncheck();
  await page.getByRole("button", { name: "Save automatic replies" }).click();
  await page.getByText("Automatic replies saved.").waitFor();
  const off = await db.vacationResponder.findUniqueOrThrow({ where: { accountId: account.id } });
  assert.equal(off.enabled, false);
});

test("password change: form errors, old password refused, other sessions end, this one stays", async () => {
  await makeAccount("pat");
  const newPassword = "a brand new passphrase 42";
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  await signIn(page, "pat@mail.test");
  const otherPage = await (await newContext(browser, web.url)).newPage();
  await signIn(otherPage, "pat@mail.test");
  await openSettings(page);

  const current = page.getByLabel("Current password");
  const fresh = page.getByLabel("New password", { exact: true });
  const confirm = page.getByLabel("Confirm new password");
  const submit = page.getByRole("button", { name: "Change password" });

  await current.fill("not my password at all");
  await fresh.fill(newPassword);
  await confirm.fill(newPassword);
  await submit.click();
  await page.getByText("Your current password is not right.").waitFor();

  await current.fill(TEST_PASSWORD);
  await fresh.fill("password123");
  await confirm.fill("password123");
  await submit.click();
  await page.getByText("This password is too common").waitFor();

  await fresh.fill("short");
  await confirm.fill("short");
  await submit.click();
  await page.getByText("Use at least 10 characters.").waitFor();

  await fresh.fill(newPassword);
  await confirm.fill("something else entirely");
  await submit.click();
  await page.getByText("The new passwords do not match.").waitFor();

  await confirm.fill(newPassword);
  await submit.click();
  await page.getByText("Password changed.").waitFor();

  // This browser signed in again with the new password and stays in.
  await page.goto("/mail");
  await page.waitForURL(/\/mail$/);
  await page.getByTestId("signed-in-as").waitFor();
  // The other browser's session ended.
  await otherPage.goto("/mail");
  await otherPage.waitForURL(/\/login$/);

  // The old password no longer works, the new one does.
  await otherPage.getByLabel("Address").fill("pat@mail.test");
  await otherPage.getByLabel("Password").fill(TEST_PASSWORD);
  await otherPage.getByRole("button", { name: "Sign in" }).click();
  await otherPage.getByText("Wrong address or password.").waitFor();
  await otherPage.getByLabel("Password").fill(newPassword);
  await otherPage.getByRole("button", { name: "Sign in" }).click();
  await otherPage.waitForURL(/\/mail$/);
  await context.close();
});
