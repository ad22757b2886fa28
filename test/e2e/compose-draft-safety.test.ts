// Leaving the composer never loses its text (Chromium): closing the tab or
// navigating away right after typing, before the autosave would run, saves
// the draft (keepalive request on pagehide); a save that cannot reach the
// server is retried, then shown as an error with the text kept and the
// composer left open; "Try again" saves it once the server answers.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { composer, openMail as openMailPage } from "../helpers/compose.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

const ann = await makeAccount("ann");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
const openMail = () => openMailPage(browser, web.url, ann.address);

async function draftSubjects(): Promise<string[]> {
  const rows = await db.message.findMany({
    where: { accountId: ann.id, mailbox: { specialUse: "DRAFTS" } },
    select: { subject: true },
  });
  return rows.map((r) => r.subject).sort();
}

async function waitForDraft(subject: string) {
  for (let i = 0; i < 150 && !(await draftSubjects()).includes(subject); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok((await draftSubjects()).includes(subject), `a draft "${subject}"`);
}

async function typeMessage(page: Page, subject: string) {
  await page.getByRole("button", { name: "New message" }).click();
  const panel = composer(page);
  await panel.getByLabel("Subject").fill(subject);
  await panel.getByRole("textbox", { name: "Message body" }).click();
  await page.keyboard.type("Words");
  return panel;
}

test("closing the tab or navigating away right after typing keeps the draft", async () => {
  const { page, context } = await openMail();
  const panel = await typeMessage(page, "Closed at once");
  // Nothing was saved yet: the autosave waits for typing to pause.
  assert.equal(await panel.getByTestId("draft-status").innerText(), "");
  await page.close({ runBeforeUnload: true });
  await waitForDraft("Closed at once");

  const second = await context.newPage();
  await second.goto("/mail");
  await typeMessage(second, "Navigated away");
  await second.goto("/settings");
  await waitForDraft("Navigated away");
  assert.deepEqual(await draftSubjects(), ["Closed at once", "Navigated away"]);
  await context.close();
});

test("a save that cannot reach the server is retried, then shown; the text is kept", async () => {
  const { page, context } = await openMail();
  // The first two tries fail as a dropped connection would.
  let failures = 2;
  await page.route("**/api/compose/drafts", (route) =>
    failures-- > 0 ? route.abort("connectionreset") : route.continue(),
  );
  const panel = await typeMessage(page, "Flaky network");
  await panel.getByTestId("draft-status").filter({ hasText: "Draft saved" }).waitFor();
  await waitForDraft("Flaky network");

  // Now the server stays out of reach: after its retries the save says so,
  // and Close does not close over the unsaved text.
  failures = Infinity;
  await panel.getByLabel("Subject").fill("Flaky network, edited");
  await panel
    .getByRole("alert")
    .filter({ hasText: "Draft not saved: The server could not be reached." })
    .waitFor();
  await panel.getByRole("button", { name: "Close and save draft" }).click();
  await panel.getByRole("alert").filter({ hasText: "Draft not saved" }).waitFor();
  assert.equal(await panel.getByLabel("Subject").inputValue(), "Flaky network, edited");

  failures = 0;
  await panel.getByRole("button", { name: "Try again" }).click();
  await panel.getByTestId("draft-status").filter({ hasText: "Draft saved" }).waitFor();
  await waitForDraft("Flaky network, edited");
  // One draft: the edited copy replaced the first.
  assert.deepEqual(await draftSubjects(), [
    "Closed at once",
    "Flaky network, edited",
    "Navigated away",
  ]);
  await context.close();
});
