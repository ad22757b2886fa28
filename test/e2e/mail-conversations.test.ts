// Conversation rows in Chromium: the Inbox shows one row per thread (its
// senders, its count, unread while any message is), actions on the row
// (flag, archive and its Undo, pin) apply to every message of the thread in
// the folder, opening it shows the thread, new mail in the thread updates
// the row live, and "Show as conversations" turned off (remembered) lists
// every message again.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail, signIn, waitForLive } from "../helpers/mail.ts";
import { row } from "../helpers/mail-page.ts";
import { waitForSubjects } from "../helpers/mail-list.ts";
import { assertCountersExact } from "../helpers/folder-counters.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { getMailLayout } = await import("../../lib/accounts/user-settings.ts");

await makeAccount("setup");
const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);

const toolbar = (page: Page) => page.getByRole("toolbar", { name: "Message actions" });
const toast = (page: Page) => page.getByRole("status");

async function until(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Each message's folder and marks, by id. */
async function marks(accountId: string) {
  const boxes = await db.mailbox.findMany({ where: { accountId } });
  const name = new Map(boxes.map((b) => [b.id, b.name]));
  const messages = await db.message.findMany({ where: { accountId }, orderBy: { id: "asc" } });
  return messages.map(
    (m) => `${m.subject}:${name.get(m.mailboxId)}:${m.seen ? "read" : "unread"}:${m.flagged}`,
  );
}

async function setUp(localPart: string) {
  const account = await makeAccount(localPart);
  const t0 = Date.now() - 10 * 60_000;
  const root = `<plans-${localPart}@example.org>`;
  const thread = [
    ["Ann <ann@example.org>", "Plans", root, undefined],
    ["Bob <bob@example.org>", "Re: Plans", `<plans-2-${localPart}@example.org>`, root],
    ["Ann <ann@example.org>", "Re: Plans", `<plans-3-${localPart}@example.org>`, root],
  ] as const;
  const ids: string[] = [];
  for (const [i, [from, subject, messageId, parent]] of thread.entries()) {
    const copy = await deliverMail(
      account.id,
      { from, to: account.address, subject, messageId, inReplyTo: parent, references: parent },
      new Date(t0 + i * 120_000),
    );
    ids.push(copy.messageId);
  }
  // A message between the thread's first and last: the thread still heads.
  await deliverMail(account.id, { to: account.address, subject: "Other" }, new Date(t0 + 60_000));
  // Only the thread's first message stays unread.
  await db.message.updateMany({ where: { id: { in: ids.slice(1) } }, data: { seen: true } });
  await db.$executeRaw`UPDATE "Mailbox" SET "unreadCount" = (SELECT count(*) FROM "Message" m
    WHERE m."mailboxId" = "Mailbox"."id" AND NOT m."seen") WHERE "accountId" = ${account.id}::uuid`;
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  await signIn(page, account.address);
  return { account, page, context, ids, root };
}

test("a thread is one row; actions on it apply to the whole thread, with an exact Undo", async () => {
  const { account, page, context, ids, root } = await setUp("conv-row");
  await waitForSubjects(page, ["Re: Plans", "Other"]);
  const plans = row(page, "Re: Plans");
  assert.match(
    (await plans.locator(".row-from").textContent()) ?? "",
    /^Unread, Ann, Bob3, 3 messages$/,
  );
  assert.ok(await plans.evaluate((n) => n.classList.contains("unread")), "unread: one message is");
  assert.equal(await row(page, "Other").getByTestId("row-count").count(), 0);

  // Flag on the row flags the three.
  await plans.getByRole("button", { name: "Flag: Re: Plans" }).click();
  await until(
    async () => (await db.message.count({ where: { id: { in: ids }, flagged: true } })) === 3,
    "the thread flagged",
  );
  await plans.getByRole("button", { name: "Unflag: Re: Plans" }).waitFor();

  // Archive the checked row: the thread goes; Undo brings each one back as it was.
  const before = await marks(account.id);
  await plans.getByRole("checkbox").check();
  await toolbar(page).getByRole("button", { name: "Archive" }).click();
  await toast(page).getByText("3 messages archived.").waitFor();
  await waitForSubjects(page, ["Other"]);
  await until(
    async () => (await marks(account.id)).filter((m) => m.includes(":Archive:")).length === 3,
    "the thread archived",
  );
  await toast(page).getByRole("button", { name: "Undo" }).click();
  await waitForSubjects(page, ["Re: Plans", "Other"]);
  assert.deepEqual(await marks(account.id), before);
  await assertCountersExact(account.id);

  // Opening the row shows the thread; its tools pin the whole thread.
  await plans.locator(".row-link").click();
  await page.getByText("3 messages in this conversation").waitFor();
  await page.getByRole("button", { name: "Pin", exact: true }).click();
  await until(
    async () => (await db.pinnedMessage.count({ where: { accountId: account.id } })) === 3,
    "the thread pinned",
  );

  // A new reply updates the row live: four messages, unread again.
  await waitForLive(page);
  await db.message.updateMany({ where: { id: { in: ids } }, data: { seen: true } });
  await deliverMail(account.id, {
    from: "Cy <cy@example.org>",
    to: account.address,
    subject: "Re: Plans",
    text: "Me too",
    inReplyTo: root,
    references: root,
  });
  await plans.getByTestId("row-count").filter({ hasText: "4" }).waitFor();
  assert.match((await plans.locator(".row-from").textContent()) ?? "", /Cy, Ann, Bob/);
  await context.close();
});

test("Show as conversations turned off lists every message, and is remembered", async () => {
  const { account, page, context } = await setUp("conv-setting");
  await waitForSubjects(page, ["Re: Plans", "Other"]);
  await page.getByLabel("Show as conversations").uncheck();
  await waitForSubjects(page, ["Re: Plans", "Re: Plans", "Other", "Plans"]);
  await until(async () => !(await getMailLayout(account.id)).conversations, "the setting saved");
  await page.reload();
  await waitForSubjects(page, ["Re: Plans", "Re: Plans", "Other", "Plans"]);
  assert.equal(await page.getByLabel("Show as conversations").isChecked(), false);
  // Archive on a single row then moves that message only.
  await row(page, "Plans").getByRole("checkbox").check();
  await toolbar(page).getByRole("button", { name: "Archive" }).click();
  await toast(page).getByText("Message archived.").waitFor();
  await page.getByLabel("Show as conversations").check();
  await waitForSubjects(page, ["Re: Plans", "Other"]);
  await row(page, "Re: Plans").getByTestId("row-count").filter({ hasText: "2" }).waitFor();
  await context.close();
});
