// "Select all N in this folder" in Chromium: with every loaded row checked,
// the banner offers the whole folder; an action on it is one request that
// starts a server job (no per-message requests, no server actions), whose
// progress the toast reports until every message has changed.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail, signIn } from "../helpers/mail.ts";
import { assertCountersExact } from "../helpers/folder-counters.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

const COUNT = 120;
const account = await makeAccount("many");
const start = Date.now() - COUNT * 60_000;
for (let i = 0; i < COUNT; i++) {
  await deliverMail(
    account.id,
    { to: account.address, subject: `Message ${i}` },
    new Date(start + i * 60_000),
  );
}
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);

test("select all 120 in Inbox, archive: one job request, every message archived", async () => {
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  await signIn(page, account.address);
  await page.getByTestId("message-row").first().waitFor();
  const shown = await page.getByTestId("message-row").count();
  assert.ok(shown < COUNT, "the first page shows only part of the folder");

  await page.getByRole("checkbox", { name: "Select all" }).check();
  const banner = page.getByTestId("select-all-banner");
  await banner.filter({ hasText: `All ${shown} shown are selected.` }).waitFor();
  await banner.getByRole("button", { name: `Select all ${COUNT} in Inbox` }).click();
  await banner.filter({ hasText: `All ${COUNT} messages in Inbox are selected.` }).waitFor();

  const posts: string[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST") posts.push(r.headers()["next-action"] ? "server action" : r.url());
  });
  await page
    .getByRole("toolbar", { name: "Message actions" })
    .getByRole("button", { name: "Archive" })
    .click();
  await page
    .getByRole("status")
    .filter({ hasText: `${COUNT} messages archived.` })
    .waitFor();
  assert.deepEqual(posts, [`${web.url}/api/messages/bulk`]);

  const archived = await db.message.count({
    where: { accountId: account.id, mailbox: { specialUse: "ARCHIVE" } },
  });
  assert.equal(archived, COUNT);
  const job = await db.bulkJob.findFirstOrThrow({ where: { accountId: account.id } });
  assert.equal(job.status, "done");
  assert.equal(job.done, COUNT);
  assert.equal(job.total, COUNT);
  await assertCountersExact(account.id);
  await page.getByText("Inbox is empty.").waitFor();
  await context.close();
});
