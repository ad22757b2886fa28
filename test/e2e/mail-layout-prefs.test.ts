// Reading pane right / bottom / off and list density in Chromium, chosen in
// the list header and remembered per user (Account.settings via
// lib/accounts/user-settings.ts): after a reload and in another browser.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail, signIn } from "../helpers/mail.ts";

const databaseUrl = await useTestDatabase();
const { getMailLayout } = await import("../../lib/accounts/user-settings.ts");

const account = await makeAccount("layout");
for (const subject of ["First", "Second"]) {
  await deliverMail(account.id, { to: account.address, subject, text: `Body of ${subject}` });
}
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);

// Warm up the pages the test uses: a fresh server's first requests are slow.
for (const path of ["/login", "/mail"]) await fetch(`${web.url}${path}`);

async function open() {
  const context = await newContext(browser, web.url, { viewport: { width: 1280, height: 800 } });
  // Sign-in (argon2) and first page loads are slow when the machine is busy.
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  await signIn(page, account.address);
  await page.getByTestId("message-row").first().waitFor();
  return { page, context };
}

const box = async (page: Page, selector: string) =>
  (await page.locator(selector).first().boundingBox())!;
const app = (page: Page) => page.locator(".mail-app");

test("reading pane bottom, then off, and compact rows: applied at once, remembered", async () => {
  const { page, context } = await open();
  let list = await box(page, ".list-pane");
  let pane = await box(page, ".reading-pane");
  assert.ok(pane.x >= list.x + list.width - 1, "right of the list by default");
  const comfortableRow = (await box(page, ".message-row")).height;

  await page.getByRole("combobox", { name: /^Reading pane/ }).selectOption("bottom");
  await app(page).and(page.locator('[data-reading-pane="bottom"]')).waitFor();
  list = await box(page, ".list-pane");
  pane = await box(page, ".reading-pane");
  assert.ok(pane.y >= list.y + list.height - 1, "below the list");

  await page.getByLabel("Density").selectOption("compact");
  await app(page).and(page.locator('[data-density="compact"]')).waitFor();
  assert.ok((await box(page, ".message-row")).height < comfortableRow, "compact rows are lower");
  for (let i = 0; i < 50; i++) {
    const saved = await getMailLayout(account.id);
    if (saved.density === "compact") break;
    await page.waitForTimeout(100);
  }
  assert.deepEqual(await getMailLayout(account.id), {
    readingPane: "bottom",
    density: "compact",
    conversations: true,
  });

  // Remembered: after a reload, and in another browser of the same user.
  await page.reload();
  await app(page)
    .and(page.locator('[data-reading-pane="bottom"][data-density="compact"]'))
    .waitFor();
  assert.equal(await page.getByRole("combobox", { name: /^Reading pane/ }).inputValue(), "bottom");
  await context.close();

  const other = await open();
  await app(other.page).and(other.page.locator('[data-reading-pane="bottom"]')).waitFor();
  // Off: the list alone; an opened message takes its place, with a way back.
  await other.page.getByRole("combobox", { name: /^Reading pane/ }).selectOption("off");
  await app(other.page).and(other.page.locator('[data-reading-pane="off"]')).waitFor();
  assert.equal(await other.page.locator(".reading-pane").isVisible(), false);
  await other.page.locator(".row-link").first().click();
  await other.page.getByRole("button", { name: /Back to Inbox/ }).waitFor();
  assert.equal(await other.page.locator(".list-pane").isVisible(), false);
  await other.page.getByRole("button", { name: /Back to Inbox/ }).click();
  await other.page.locator(".list-pane").waitFor();
  assert.equal(await other.page.locator(".reading-pane").isVisible(), false);
  await other.context.close();
});
