// The admin overview in Chromium: mail delivered over SMTP and sent through
// submission shows in the volume charts' data tables, a queued / deferred /
// bounced mix in the outcome chart, the queue size, storage and signups;
// non-admins get 403 and anonymous visitors the sign-in page.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../helpers/accounts.ts";
import { startTestGateway, sendOnce, simpleMessage } from "../helpers/smtp-harness.ts";
import { swaks } from "../helpers/smtp-clients.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { seriousAxeViolations } from "../helpers/mail.ts";
import { assertPageAdminOnly, signInAs } from "../helpers/admin-access.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const admin = await makeAccount("boss", { role: "ADMIN" });
const user = await makeAccount("user");
const alice = await makeAccount("alice");
const gateway = await startTestGateway({ relay: false });
const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);

const INBOUND = 3;

async function tableRows(page: Page, id: string): Promise<string[][]> {
  const table = page.getByTestId(`${id}-table`);
  await table.locator("xpath=ancestor::details").locator("summary").click();
  return table
    .locator("tbody tr")
    .evaluateAll((rows) =>
      rows.map((row) => [...row.children].map((cell) => cell.textContent ?? "")),
    );
}

const sum = (rows: string[][], column: number) =>
  rows.reduce((total, row) => total + Number(row[column]!.replace(/,/g, "")), 0);

test("the overview shows SMTP traffic, outcomes, queue size, storage and signups", async () => {
  for (let i = 0; i < INBOUND; i++) {
    const result = await sendOnce(
      gateway.smtpPort,
      { from: "someone@example.org", to: [user.address] },
      simpleMessage({ to: user.address, subject: `Inbound ${i}` }),
    );
    assert.equal(result.final?.code, 250, result.final?.text);
  }
  // One message sent by a user over submission: a Sent copy (sent), a copy
  // for a local recipient (received) and three queued remote recipients.
  const sent = await swaks([
    ...["--server", `127.0.0.1:${gateway.submissionPort}`, "--tls", "--auth", "PLAIN"],
    ...["--auth-user", alice.address, "--auth-password", TEST_PASSWORD],
    ...[
      "--from",
      alice.address,
      "--to",
      `${user.address},a@remote.test,b@remote.test,c@remote.test`,
    ],
    ...["--header", "Subject: From alice"],
  ]);
  assert.equal(sent.code, 0, sent.output);
  await db.outboundRecipient.updateMany({
    where: { recipient: "b@remote.test" },
    data: { status: "DEFERRED", attempts: 1 },
  });
  await db.outboundRecipient.updateMany({
    where: { recipient: "c@remote.test" },
    data: { status: "BOUNCED", attempts: 1, finishedAt: new Date() },
  });

  const context = await newContext(browser, web.url);
  context.setDefaultTimeout(45_000);
  const page = await context.newPage();
  await signInAs(page, admin.address);
  await page.goto("/admin");
  await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
  // The charts themselves render (SVG with their titles) on the client.
  await page
    .locator("figure svg title", { hasText: "Messages per hour" })
    .waitFor({ state: "attached" });

  const hourly = await tableRows(page, "hourly");
  assert.equal(hourly.length, 24);
  assert.equal(sum(hourly, 1), INBOUND + 1, "received over 24 h");
  assert.equal(sum(hourly, 2), 1, "sent over 24 h");
  const daily = await tableRows(page, "daily");
  assert.equal(daily.length, 30);
  assert.equal(sum(daily, 1), INBOUND + 1);
  assert.equal(sum(daily, 2), 1);

  const outcomes = Object.fromEntries(
    (await tableRows(page, "outcomes")).map(([label, count]) => [label, Number(count)]),
  );
  assert.deepEqual(outcomes, { delivered: 0, deferred: 1, bounced: 1, queued: 1, cancelled: 0 });
  assert.equal(await page.getByTestId("queue-size").textContent(), "2");

  const storage = await tableRows(page, "storage");
  const used = await db.account.findMany({
    orderBy: { usedBytes: "desc" },
    select: { address: true },
  });
  assert.deepEqual(
    storage.map((r) => r[0]),
    used.map((a) => a.address),
    "largest accounts first",
  );
  assert.equal(storage[0]![0], user.address, "the account with 4 messages is the largest");

  const signups = await tableRows(page, "signups");
  assert.equal(sum(signups, 1), 3);
  assert.equal(signups.at(-1)![1], "3", "all three accounts were made today");

  assert.deepEqual(await seriousAxeViolations(page), []);
  await context.close();
});

test("the overview is for admins only", async () => {
  const context = await newContext(browser, web.url);
  context.setDefaultTimeout(45_000);
  const page = await context.newPage();
  await signInAs(page, user.address);
  await assertPageAdminOnly(web.url, "/admin", context);
  await context.close();
});
