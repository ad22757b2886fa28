// Organising mail in Chromium: every toolbar action on one and many
// messages, drag and drop to a folder, the keyboard shortcuts, and folder
// create/rename/delete. Each change is checked in the page and in the
// database (lib/store keeps the folder counters exact).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail, signIn } from "../helpers/mail.ts";
import { waitForSubjects } from "../helpers/mail-list.ts";
import { folderLink, row } from "../helpers/mail-page.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

await makeAccount("setup");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);

async function openMail(localPart: string, subjects: string[]) {
  const account = await makeAccount(localPart);
  const start = Date.now() - subjects.length * 60_000;
  const ids: Record<string, string> = {};
  // Oldest first, so the list shows them in reverse.
  for (const [i, subject] of subjects.entries()) {
    const copy = await deliverMail(
      account.id,
      { to: account.address, subject, text: `Body of ${subject}` },
      new Date(start + i * 60_000),
    );
    ids[subject] = copy.messageId;
  }
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  await signIn(page, account.address);
  return { account, page, context, ids };
}

const subjects = (page: Page) => page.locator(".row-subject").allInnerTexts();
const toolbar = (page: Page) => page.getByRole("toolbar", { name: "Message actions" });

async function folderState(accountId: string) {
  const boxes = await db.mailbox.findMany({ where: { accountId } });
  const messages = await db.message.findMany({ where: { accountId } });
  const out: Record<string, { count: number; unread: number; subjects: string[] }> = {};
  for (const b of boxes) {
    const inBox = messages.filter((m) => m.mailboxId === b.id);
    // The counters are what the folder pane shows: they must match the rows.
    assert.equal(b.messageCount, inBox.length, `${b.name} messageCount`);
    assert.equal(b.unreadCount, inBox.filter((m) => !m.seen).length, `${b.name} unreadCount`);
    assert.equal(
      Number(b.totalBytes),
      inBox.reduce((n, m) => n + m.size, 0),
      `${b.name} totalBytes`,
    );
    out[b.name] = {
      count: b.messageCount,
      unread: b.unreadCount,
      subjects: inBox.map((m) => m.subject).sort(),
    };
  }
  return out;
}

/** The toast that says a server action finished. */
const waitForStatus = (page: Page, text: string) =>
  page.getByRole("status").filter({ hasText: text }).waitFor();

test("toolbar actions on selected messages: read, unread, flag, archive, junk, move, delete, empty Trash", async () => {
  const { account, page, context } = await openMail("toolbar", [
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
  ]);
  await waitForSubjects(page, ["Five", "Four", "Three", "Two", "One"]);

  await row(page, "One").getByRole("checkbox").check();
  await row(page, "Two").getByRole("checkbox").check();
  await toolbar(page).getByRole("button", { name: "Mark read" }).click();
  await page.getByRole("status").filter({ hasText: "2 messages marked as read." }).waitFor();
  await folderLink(page, "Inbox").filter({ hasText: "3" }).waitFor();
  let state = await folderState(account.id);
  assert.equal(state.Inbox!.unread, 3);

  // The selection stays after a flag change (as in Gmail): narrow it to Two.
  await row(page, "One").getByRole("checkbox").uncheck();
  await toolbar(page).getByRole("button", { name: "Mark unread" }).click();
  await folderLink(page, "Inbox").filter({ hasText: "4" }).waitFor();
  await row(page, "Two").getByRole("checkbox").uncheck();

  await row(page, "Three").getByRole("button", { name: "Flag: Three" }).click();
  await row(page, "Three").getByRole("button", { name: "Unflag: Three" }).waitFor();
  for (let i = 0; i < 50; i++) {
    const m = await db.message.findFirst({ where: { accountId: account.id, subject: "Three" } });
    if (m?.flagged) break;
    await page.waitForTimeout(100);
  }
  assert.equal(
    (await db.message.findFirstOrThrow({ where: { accountId: account.id, subject: "Three" } }))
      .flagged,
    true,
  );

  await row(page, "Five").getByRole("checkbox").check();
  await toolbar(page).getByRole("button", { name: "Archive" }).click();
  await waitForSubjects(page, ["Four", "Three", "Two", "One"]);

  await row(page, "Four").getByRole("checkbox").check();
  await toolbar(page).getByRole("button", { name: "Junk" }).click();
  await waitForSubjects(page, ["Three", "Two", "One"]);

  await row(page, "Three").getByRole("checkbox").check();
  await toolbar(page).getByLabel("Move to folder").selectOption({ label: "Drafts" });
  await waitForSubjects(page, ["Two", "One"]);

  await row(page, "Two").getByRole("checkbox").check();
  await toolbar(page).getByRole("button", { name: "Delete" }).click();
  await waitForSubjects(page, ["One"]);
  await waitForStatus(page, "Message moved to Trash.");
  state = await folderState(account.id);
  assert.deepEqual(state.Inbox!.subjects, ["One"]);
  assert.deepEqual(state.Archive!.subjects, ["Five"]);
  assert.deepEqual(state.Junk!.subjects, ["Four"]);
  assert.deepEqual(state.Drafts!.subjects, ["Three"]);
  assert.deepEqual(state.Trash!.subjects, ["Two"]);

  // Junk -> "Not junk" goes back to the Inbox.
  await folderLink(page, "Junk").click();
  await page.getByRole("heading", { name: "Junk" }).waitFor();
  await row(page, "Four").getByRole("checkbox").check();
  await toolbar(page).getByRole("button", { name: "Not junk" }).click();
  await waitForSubjects(page, []);

  // Trash: delete forever gives the bytes back; Empty Trash removes the rest.
  const before = await db.account.findUniqueOrThrow({ where: { id: account.id } });
  await folderLink(page, "Trash").click();
  await page.getByRole("heading", { name: "Trash" }).waitFor();
  await row(page, "Two").getByRole("checkbox").check();
  await toolbar(page).getByRole("button", { name: "Delete forever" }).click();
  await waitForSubjects(page, []);
  await waitForStatus(page, "Message deleted forever.");
  const after = await db.account.findUniqueOrThrow({ where: { id: account.id } });
  assert.ok(after.usedBytes < before.usedBytes, "deleting for good frees quota");

  await folderLink(page, "Inbox").click();
  await row(page, "One").getByRole("checkbox").check();
  await toolbar(page).getByRole("button", { name: "Delete" }).click();
  await waitForSubjects(page, ["Four"]);
  await folderLink(page, "Trash").click();
  await row(page, "One").waitFor();
  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByRole("button", { name: "Empty Trash" }).click();
  await page.getByText("Trash is empty.").waitFor();
  state = await folderState(account.id);
  assert.equal(state.Trash!.count, 0);
  const remaining = await db.message.aggregate({
    where: { accountId: account.id },
    _sum: { size: true },
  });
  assert.equal(
    Number((await db.account.findUniqueOrThrow({ where: { id: account.id } })).usedBytes),
    remaining._sum.size ?? 0,
  );
  await context.close();
});

test("drag and drop moves one message, or the whole selection, to a folder", async () => {
  const { account, page, context } = await openMail("dragger", ["Alpha", "Beta", "Gamma"]);
  await waitForSubjects(page, ["Gamma", "Beta", "Alpha"]);
  await row(page, "Gamma").dragTo(folderLink(page, "Archive"));
  await waitForSubjects(page, ["Beta", "Alpha"]);
  await row(page, "Beta").getByRole("checkbox").check();
  await row(page, "Alpha").getByRole("checkbox").check();
  await row(page, "Alpha").dragTo(folderLink(page, "Junk"));
  await waitForSubjects(page, []);
  await waitForStatus(page, "2 messages moved to Junk.");
  const state = await folderState(account.id);
  assert.deepEqual(state.Archive!.subjects, ["Gamma"]);
  assert.deepEqual(state.Junk!.subjects, ["Alpha", "Beta"]);
  // A move allocates new uids in the target, above every earlier one.
  const junk = await db.mailbox.findFirstOrThrow({
    where: { accountId: account.id, specialUse: "JUNK" },
  });
  const uids = (
    await db.message.findMany({ where: { accountId: account.id, mailboxId: junk.id } })
  ).map((m) => m.uid);
  assert.deepEqual(uids.sort(), [1, 2]);
  assert.equal(junk.uidNext, 3);
  await context.close();
});

test("keyboard shortcuts: j/k, Enter/o, u, s, Shift+I/U, e, #, /, ?", async () => {
  const { account, page, context } = await openMail("keys", ["K1", "K2", "K3", "K4"]);
  await waitForSubjects(page, ["K4", "K3", "K2", "K1"]);
  await page.locator("body").click({ position: { x: 5, y: 300 } });

  await page.keyboard.press("j");
  await page.locator(".message-row.cursor", { hasText: "K4" }).waitFor();
  await page.keyboard.press("j");
  await page.locator(".message-row.cursor", { hasText: "K3" }).waitFor();
  await page.keyboard.press("k");
  await page.locator(".message-row.cursor", { hasText: "K4" }).waitFor();
  await page.keyboard.press("j");
  await page.locator("body").click({ position: { x: 5, y: 300 } });
  await page.keyboard.press("o");
  await page.getByRole("heading", { name: "K3", level: 2 }).waitFor();
  await page.keyboard.press("j");
  await page.getByRole("heading", { name: "K2", level: 2 }).waitFor();
  await page.keyboard.press("u");
  await page.getByText("Select a message to read it.").waitFor();
  await page.locator("body").click({ position: { x: 5, y: 300 } });
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "K2", level: 2 }).waitFor();

  // s flags, Shift+U marks unread, Shift+I read again (the open message).
  await page.keyboard.press("s");
  await row(page, "K2").getByRole("button", { name: "Unflag: K2" }).waitFor();
  await page.keyboard.press("Shift+U");
  await page.locator(".message-row.unread", { hasText: "K2" }).waitFor();
  await page.keyboard.press("Shift+I");
  await page.waitForFunction(
    () => !document.querySelector(".message-row.unread .row-subject")?.textContent?.includes("K2"),
  );

  // e archives the open message and opens the next one.
  await page.keyboard.press("e");
  await page.getByRole("heading", { name: "K1", level: 2 }).waitFor();
  await waitForSubjects(page, ["K4", "K3", "K1"]);
  await page.keyboard.press("#");
  await waitForSubjects(page, ["K4", "K3"]);

  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "mail-search");
  await page.keyboard.press("Escape");
  await page.keyboard.press("?");
  await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
  await page.keyboard.press("Escape");
  await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor({ state: "hidden" });

  // Shortcuts do not fire while typing.
  await page.getByLabel("Search mail").fill("e#s");
  await waitForSubjects(page, ["K4", "K3"]);
  await waitForStatus(page, "Message moved to Trash.");

  const state = await folderState(account.id);
  assert.deepEqual(state.Archive!.subjects, ["K2"]);
  assert.deepEqual(state.Trash!.subjects, ["K1"]);
  const k2 = await db.message.findFirstOrThrow({ where: { accountId: account.id, subject: "K2" } });
  assert.deepEqual({ flagged: k2.flagged, seen: k2.seen }, { flagged: true, seen: true });
  await context.close();
});

test("read/unread changes land in the order made, even when the first is slow", async () => {
  const { account, page, context, ids } = await openMail("order", ["O1"]);
  await row(page, "O1").getByRole("checkbox").check();
  // Hold the first change in the browser for a while: a second change sent
  // alongside it would reach the server first and be overwritten by it.
  let held = 0;
  await page.route("**/api/messages/flags", async (route) => {
    if (held++ === 0) await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  });
  let answered = 0;
  page.on("response", (r) => {
    if (new URL(r.url()).pathname === "/api/messages/flags") answered += 1;
  });
  await toolbar(page).getByRole("button", { name: "Mark read" }).click();
  await toolbar(page).getByRole("button", { name: "Mark unread" }).click();
  await waitForStatus(page, "Message marked as unread.");
  // Both requests answered (without the ordering the held one comes last).
  const deadline = Date.now() + 30_000;
  while (answered < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(answered, 2);
  const o1 = await db.message.findFirstOrThrow({ where: { accountId: account.id, id: ids.O1 } });
  assert.equal(o1.seen, false, "the later change (unread) wins");
  assert.equal((await folderState(account.id)).Inbox!.unread, 1);
  await context.close();
});

test("folders: create, nest, rename, delete (their mail goes to Trash)", async () => {
  const { account, page, context } = await openMail("folders", ["Keep me"]);
  const nav = page.getByRole("navigation", { name: "Folders" });
  await nav.getByRole("button", { name: "New folder" }).click();
  await nav.getByLabel("Folder name").fill("Projects");
  await nav.getByRole("button", { name: "Create" }).click();
  await folderLink(page, "Projects").waitFor();

  await nav.getByRole("button", { name: "New folder" }).click();
  await nav.getByLabel("Folder name").fill("inbox");
  await nav.getByRole("button", { name: "Create" }).click();
  await nav.getByText("That name belongs to the Inbox.").waitFor();
  await nav.getByLabel("Folder name").fill("<b>Projects</b>/2026");
  await nav.getByRole("button", { name: "Create" }).click();
  // Folder names are text: the markup shows as typed.
  await nav.getByRole("link", { name: "2026" }).waitFor();
  await nav.getByRole("button", { name: "New folder" }).click();
  await nav.getByLabel("Folder name").fill("Projects/2026");
  await nav.getByRole("button", { name: "Create" }).click();
  await nav.getByRole("link", { name: "2026" }).nth(1).waitFor();

  await row(page, "Keep me").getByRole("checkbox").check();
  await toolbar(page).getByLabel("Move to folder").selectOption({ label: "Projects/2026" });
  await waitForSubjects(page, []);
  await waitForStatus(page, "Message moved to Projects/2026.");

  await folderLink(page, "Projects").first().click();
  await page.getByRole("heading", { name: "Projects" }).waitFor();
  await page.getByRole("button", { name: "Rename folder" }).click();
  await page.getByLabel("New name").fill("Work");
  await page.getByRole("button", { name: "Rename", exact: true }).click();
  await page.getByRole("heading", { name: "Work" }).waitFor();
  let names = (await db.mailbox.findMany({ where: { accountId: account.id, specialUse: null } }))
    .map((m) => m.name)
    .sort();
  assert.deepEqual(names, ["<b>Projects</b>/2026", "Work", "Work/2026"]);

  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByRole("button", { name: "Delete folder" }).click();
  await page.getByRole("heading", { name: "Inbox" }).waitFor();
  names = (await db.mailbox.findMany({ where: { accountId: account.id, specialUse: null } })).map(
    (m) => m.name,
  );
  assert.deepEqual(names, ["<b>Projects</b>/2026"]);
  const state = await folderState(account.id);
  assert.deepEqual(state.Trash!.subjects, ["Keep me"]);
  await context.close();
});

test("the list pages through a large folder as it scrolls", async () => {
  const subjectsIn = Array.from({ length: 120 }, (_, i) => `Bulk ${String(i).padStart(3, "0")}`);
  const { page, context } = await openMail("bulk", subjectsIn);
  await row(page, "Bulk 119").waitFor();
  assert.equal((await subjects(page)).length, 50);
  await page.locator(".message-row").last().scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelectorAll(".message-row").length === 100);
  await page.locator(".message-row").last().scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelectorAll(".message-row").length === 120);
  const shown = await subjects(page);
  assert.deepEqual(shown, [...subjectsIn].reverse());
  await context.close();
});
