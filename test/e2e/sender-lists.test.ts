// Blocked and safe senders in Chromium: the settings section adds, lists
// and removes entries; the message view's "Block sender" blocks the From
// address and files the message in Junk, "Never send to Junk" makes it safe.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail, signIn } from "../helpers/mail.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { senderListVerdict } = await import("../../lib/spam/sender-lists.ts");

await makeAccount("setup");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);

test("settings: add a blocked domain and a safe address, refuse nonsense, remove", async () => {
  const account = await makeAccount("erin");
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  try {
    await signIn(page, account.address);
    await page.goto(`${web.url}/settings`);
    const section = page.getByRole("region", { name: "Blocked and safe senders" });
    await section.getByLabel("Address or domain").fill("Spammy.Example");
    await section.getByRole("button", { name: "Add" }).click();
    await section.getByRole("status").filter({ hasText: "@spammy.example is blocked." }).waitFor();
    await section
      .getByRole("list", { name: "Blocked senders" })
      .getByText("@spammy.example")
      .waitFor();
    await section.getByLabel("Address or domain").fill("friend@spammy.example");
    await section.getByLabel("List").selectOption("SAFE");
    await section.getByRole("button", { name: "Add" }).click();
    await section
      .getByRole("list", { name: "Safe senders" })
      .getByText("friend@spammy.example")
      .waitFor();
    assert.equal(await senderListVerdict(account.id, "x@spammy.example"), "block");
    assert.equal(await senderListVerdict(account.id, "friend@spammy.example"), "safe");

    await section.getByLabel("Address or domain").fill("not an address");
    await section.getByRole("button", { name: "Add" }).click();
    await section.getByRole("alert").filter({ hasText: "Enter an address" }).waitFor();

    await section.getByRole("button", { name: "Remove @spammy.example" }).click();
    await section.getByRole("list", { name: "Blocked senders" }).waitFor({ state: "detached" });
    assert.equal(await senderListVerdict(account.id, "x@spammy.example"), null);
  } finally {
    await context.close();
  }
});

test("message view: Block sender files it in Junk; Never send to Junk makes the sender safe", async () => {
  const account = await makeAccount("fred");
  const copy = await deliverMail(account.id, {
    from: "Offers <offers@deals.example>",
    to: account.address,
    subject: "Your weekly offers",
    text: "Buy now.",
  });
  await deliverMail(account.id, {
    from: "Gran <gran@family.example>",
    to: account.address,
    subject: "Sunday lunch",
    text: "See you then.",
  });
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  try {
    await signIn(page, account.address);
    await page.getByText("Sunday lunch").first().click();
    // The reading pane shows this message before its buttons are used (on a
    // loaded machine the one opened before may still be there).
    await page.getByRole("heading", { name: "Sunday lunch" }).first().waitFor();
    await page.getByRole("button", { name: "Never send to Junk" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: "gran@family.example is a safe sender" })
      .waitFor();
    assert.equal(await senderListVerdict(account.id, "gran@family.example"), "safe");

    await page.getByText("Your weekly offers").first().click();
    await page.getByRole("heading", { name: "Your weekly offers" }).first().waitFor();
    await page.getByRole("button", { name: "Block sender" }).click();
    await page.getByRole("status").filter({ hasText: "Blocked offers@deals.example" }).waitFor();
    assert.equal(await senderListVerdict(account.id, "offers@deals.example"), "block");
    const moved = await db.message.findUniqueOrThrow({
      where: { accountId_id: { accountId: account.id, id: copy.messageId } },
      include: { mailbox: true },
    });
    assert.equal(moved.mailbox.specialUse, "JUNK");
  } finally {
    await context.close();
  }
});
