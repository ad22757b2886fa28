// Snooze and pin in Chromium: a snoozed message leaves the Inbox for the
// Snoozed view, and a gateway process (another instance than the web app)
// brings it back unread when it is due, which the open Inbox shows live; a
// custom time is read in the browser's time zone; a pinned message heads
// the Inbox under "Pinned", also after a reload.
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail, signIn, waitForLive } from "../helpers/mail.ts";
import { spawnGateway } from "../helpers/gateway-process.ts";
import { folderLink, row } from "../helpers/mail-page.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

await makeAccount("setup");
const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
  spawnGateway({ databaseUrl, dataDir: await mkdtemp(path.join(tmpdir(), "snooze-gw-")) }),
]);

async function setUp(localPart: string, timezoneId?: string) {
  const account = await makeAccount(localPart);
  for (const [i, subject] of ["Stay", "Snooze me", "Pin me"].entries()) {
    await deliverMail(
      account.id,
      { to: account.address, subject, text: `Body of ${subject}` },
      new Date(Date.now() - (10 - i) * 60_000),
    );
  }
  const context = await newContext(browser, web.url, { timezoneId });
  const page = await context.newPage();
  await signIn(page, account.address);
  return { account, page };
}

test("snooze: the message leaves the Inbox and the gateway brings it back unread when due", async () => {
  const { account, page } = await setUp("snooze-e2e");
  await row(page, "Snooze me").locator(".row-link").click();
  const tools = page.getByRole("group", { name: "Message tools" });
  await tools.getByRole("button", { name: "Snooze", exact: true }).click();
  await tools.getByRole("button", { name: /^Tomorrow/ }).click();
  // The list comes back without the message (a client-side navigation).
  await page.waitForFunction(() => !new URLSearchParams(location.search).has("m"), null, {
    timeout: 30_000,
  });
  await row(page, "Snooze me").waitFor({ state: "detached" });

  const snooze = await db.snoozedMessage.findFirstOrThrow({ where: { accountId: account.id } });
  const tomorrow8 = new Date();
  tomorrow8.setDate(tomorrow8.getDate() + 1);
  tomorrow8.setHours(8, 0, 0, 0);
  assert.equal(snooze.until.getTime(), tomorrow8.getTime(), "tomorrow 08:00, local time");

  // The Snoozed view lists it with its time.
  await folderLink(page, "Snoozed").click();
  await page.getByRole("heading", { name: "Snoozed", level: 1 }).waitFor();
  await row(page, "Snooze me")
    .locator(".row-snoozed", { hasText: /^Until/ })
    .waitFor();

  // Back in the Inbox, live: the snooze falls due and the gateway wakes it.
  await folderLink(page, "Inbox").click();
  await page.getByRole("heading", { name: "Inbox", level: 1 }).waitFor();
  await waitForLive(page);
  await db.snoozedMessage.updateMany({
    where: { accountId: account.id },
    data: { until: new Date(Date.now() - 1000) },
  });
  const back = row(page, "Snooze me");
  await back.waitFor();
  assert.match((await back.getAttribute("class")) ?? "", /\bunread\b/);
  assert.equal(
    await page.locator(".row-subject").first().innerText(),
    "Snooze me",
    "it comes back on top",
  );
  assert.equal(await db.snoozedMessage.count({ where: { accountId: account.id } }), 0);
});

test("snooze to a custom time chosen in the browser's time zone, then unsnooze", async () => {
  const { account, page } = await setUp("snooze-custom", "Asia/Tokyo");
  await row(page, "Stay").locator(".row-link").click();
  const tools = page.getByRole("group", { name: "Message tools" });
  await tools.getByRole("button", { name: "Snooze", exact: true }).click();
  const year = new Date().getFullYear() + 1;
  await tools.getByLabel("Pick a date and time").fill(`${year - 1}-12-31T23:30`);
  await tools.getByRole("button", { name: "Snooze", exact: true }).last().click();
  await row(page, "Stay").waitFor({ state: "detached" });
  const snooze = await db.snoozedMessage.findFirstOrThrow({ where: { accountId: account.id } });
  // 23:30 in Tokyo (UTC+9) is 14:30 UTC.
  assert.equal(snooze.until.toISOString(), `${year - 1}-12-31T14:30:00.000Z`);

  await folderLink(page, "Snoozed").click();
  await row(page, "Stay").locator(".row-link").click();
  await tools.getByText(/^Snoozed until/).waitFor();
  await tools.getByRole("button", { name: "Unsnooze" }).click();
  await page.getByRole("heading", { name: "Snoozed", level: 1 }).waitFor();
  await row(page, "Stay").waitFor({ state: "detached" });
  await folderLink(page, "Inbox").click();
  await row(page, "Stay").waitFor();
});

test("pin: the message heads the Inbox under Pinned, also after a reload; unpin", async () => {
  const { page } = await setUp("pin-e2e");
  const subjects = () => page.locator(".row-subject").allInnerTexts();
  assert.deepEqual(await subjects(), ["Pin me", "Snooze me", "Stay"]);
  await row(page, "Stay").locator(".row-link").click();
  const tools = page.getByRole("group", { name: "Message tools" });
  await tools.getByRole("button", { name: "Pin", exact: true }).click();
  await tools.getByRole("button", { name: "Unpin" }).waitFor();
  await page.waitForFunction(() => document.querySelector(".row-subject")?.textContent === "Stay");
  await page.reload();
  assert.deepEqual(await subjects(), ["Stay", "Pin me", "Snooze me"]);
  assert.equal(await row(page, "Stay").getAttribute("data-section"), "Pinned");
  assert.equal(await row(page, "Pin me").getAttribute("data-section"), "Everything else");
  const heading = await row(page, "Stay").evaluate(
    (li) => getComputedStyle(li, "::before").content,
  );
  assert.equal(heading, '"Pinned"');

  await tools.getByRole("button", { name: "Unpin" }).click();
  await tools.getByRole("button", { name: "Pin", exact: true }).waitFor();
  await page.reload();
  assert.deepEqual(await subjects(), ["Pin me", "Snooze me", "Stay"]);
  assert.equal(await row(page, "Pin me").getAttribute("data-section"), null);
});
