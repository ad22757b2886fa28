// Undo in Chromium: archive, delete, junk, move and mark read show a toast
// with Undo that puts back exactly what the change did (each message in the
// folder it came from, read or unread as it was), also after a reload and
// from another web instance (the undo record is a database row), once only.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail, signIn } from "../helpers/mail.ts";
import { waitForSubjects } from "../helpers/mail-list.ts";
import { assertCountersExact } from "../helpers/folder-counters.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { createFolder } = await import("../../lib/store/folders.ts");

await makeAccount("setup");
const [web, other, browser]: [WebServer, WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);

async function openMail(localPart: string, subjects: string[]) {
  const account = await makeAccount(localPart);
  const start = Date.now() - subjects.length * 60_000;
  for (const [i, subject] of subjects.entries()) {
    await deliverMail(
      account.id,
      { to: account.address, subject, text: `Body of ${subject}` },
      new Date(start + i * 60_000),
    );
  }
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  await signIn(page, account.address);
  return { account, page, context };
}

const row = (page: Page, subject: string) =>
  page
    .getByTestId("message-row")
    .filter({ has: page.locator(".row-subject", { hasText: new RegExp(`^${subject}$`) }) });
const toolbar = (page: Page) => page.getByRole("toolbar", { name: "Message actions" });
const toast = (page: Page) => page.getByRole("status");
const undoButton = (page: Page) => toast(page).getByRole("button", { name: "Undo" });

/** Each message's folder name and read state, by subject; checks the folder counters too. */
async function state(accountId: string) {
  const boxes = await db.mailbox.findMany({ where: { accountId } });
  const messages = await db.message.findMany({ where: { accountId } });
  await assertCountersExact(accountId);
  const name = new Map(boxes.map((b) => [b.id, b.name]));
  return Object.fromEntries(
    messages
      .sort((a, b) => (a.subject < b.subject ? -1 : 1))
      .map((m) => [m.subject, `${name.get(m.mailboxId)}${m.seen ? "" : " unread"}`]),
  );
}

async function waitForState(accountId: string, want: Record<string, string>) {
  for (let i = 0; i < 100; i++) {
    if (JSON.stringify(await state(accountId)) === JSON.stringify(want)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(await state(accountId), want);
}

test("archive, delete, junk and move in bulk: Undo puts each message back as it was", async () => {
  const { account, page, context } = await openMail("bulk", ["A", "B", "C", "D"]);
  await waitForSubjects(page, ["D", "C", "B", "A"]);
  const start = await state(account.id);
  assert.deepEqual(start, {
    A: "Inbox unread",
    B: "Inbox unread",
    C: "Inbox unread",
    D: "Inbox unread",
  });

  // Read state is part of what Undo restores: make B read first.
  await row(page, "B").getByRole("checkbox").check();
  await toolbar(page).getByRole("button", { name: "Mark read" }).click();
  await toast(page).filter({ hasText: "Message marked as read." }).waitFor();
  await row(page, "B").getByRole("checkbox").uncheck();
  const before = { ...start, B: "Inbox" };
  await waitForState(account.id, before);

  for (const [action, label, where] of [
    ["Archive", "2 messages archived.", "Archive"],
    ["Delete", "2 messages moved to Trash.", "Trash"],
    ["Junk", "2 messages marked as junk.", "Junk"],
  ] as const) {
    await row(page, "A").getByRole("checkbox").check();
    await row(page, "B").getByRole("checkbox").check();
    await toolbar(page).getByRole("button", { name: action, exact: true }).click();
    await toast(page).filter({ hasText: label }).waitFor();
    await waitForSubjects(page, ["D", "C"]);
    await waitForState(account.id, { ...before, A: `${where} unread`, B: where });
    await undoButton(page).click();
    await toast(page).filter({ hasText: "Undone." }).waitFor();
    await waitForSubjects(page, ["D", "C", "B", "A"]);
    await waitForState(account.id, before);
  }

  // Move, undone with the keyboard (z).
  await createFolder(account.id, "Projects");
  await page.reload();
  await row(page, "C").getByRole("checkbox").check();
  await page.getByLabel("Move to folder").selectOption({ label: "Projects" });
  await toast(page).filter({ hasText: "Message moved to Projects." }).waitFor();
  await waitForState(account.id, { ...before, C: "Projects unread" });
  await page.locator("body").press("z");
  await toast(page).filter({ hasText: "Undone." }).waitFor();
  await waitForState(account.id, before);
  // Used once: no Undo is offered after it.
  assert.equal(await undoButton(page).count(), 0);
  await context.close();
});

test("mark read in a search across folders; Undo after a reload, on another instance, once", async () => {
  const { account, page, context } = await openMail("search", [
    "Report one",
    "Report two",
    "Other",
  ]);
  await waitForSubjects(page, ["Other", "Report two", "Report one"]);
  // Report one lives in the Archive: a search shows both folders' messages.
  await row(page, "Report one").getByRole("checkbox").check();
  await toolbar(page).getByRole("button", { name: "Archive" }).click();
  await waitForSubjects(page, ["Other", "Report two"]);
  const before = {
    Other: "Inbox unread",
    "Report one": "Archive unread",
    "Report two": "Inbox unread",
  };
  await waitForState(account.id, before);

  await page.getByLabel("Search mail").fill("Report");
  await page.getByLabel("Search mail").press("Enter");
  await waitForSubjects(page, ["Report two", "Report one"]);
  await page.getByRole("checkbox", { name: "Select all" }).check();
  await toolbar(page).getByRole("button", { name: "Mark read" }).click();
  await toast(page).filter({ hasText: "2 messages marked as read." }).waitFor();
  await waitForState(account.id, { ...before, "Report one": "Archive", "Report two": "Inbox" });

  // The other instance, after a reload: the toast is back with its Undo.
  const url = new URL(page.url());
  await page.goto(`${other.url}${url.pathname}${url.search}`);
  await toast(page).filter({ hasText: "2 messages marked as read." }).waitFor();
  await undoButton(page).click();
  await toast(page).filter({ hasText: "Undone." }).waitFor();
  await waitForState(account.id, before);

  // Once only: the record is gone, so a reload offers nothing.
  await page.reload();
  await waitForSubjects(page, ["Report two", "Report one"]);
  assert.equal(await undoButton(page).count(), 0);
  assert.equal(await db.undoRecord.count({ where: { accountId: account.id } }), 0);
  await context.close();
});
