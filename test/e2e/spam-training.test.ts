// The webmail's Junk button teaches the classifier: after a user marks a
// message as junk in Chromium, a similar message is scored as spam for
// them; "Not junk" takes it back.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { buildMail, deliverMail, signIn } from "../helpers/mail.ts";

const databaseUrl = await useTestDatabase();
const { withTransaction } = await import("../../lib/db/sql.ts");
const { scoreSpam, CLASSIFIER_CUTOFFS } = await import("../../lib/spam/classifier/index.ts");
const { addMessageDeltas, applyTokenDeltas, loadModels } =
  await import("../../lib/spam/classifier/token-store.ts");
const { messageTokens } = await import("../../lib/spam/classifier/tokenize.ts");

await makeAccount("setup");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);

const row = (page: Page, subject: string) =>
  page
    .getByTestId("message-row")
    .filter({ has: page.locator(".row-subject", { hasText: new RegExp(`^${subject}$`) }) });
const toolbar = (page: Page) => page.getByRole("toolbar", { name: "Message actions" });

const scam = (i: number) => ({
  from: `Western Prize Office <office${i}@prize-claims.example>`,
  subject: `Unclaimed inheritance transfer ${i}`,
  text: `Dear beneficiary, your unclaimed inheritance of 4,500,000 USD awaits transfer. Send your bank details to http://prize-claims.example/${i}`,
});

test("Junk in the webmail trains the user's model; a similar message then scores as spam", async () => {
  const account = await makeAccount("dana");
  // What Dana taught before: 9 junk and 12 good messages about other things.
  const deltas = new Map();
  for (let i = 0; i < 9; i++)
    addMessageDeltas(
      deltas,
      messageTokens(await buildMail({ subject: `Casino bonus ${i}`, text: `Free spins ${i}` })),
      1,
      0,
    );
  for (let i = 0; i < 12; i++)
    addMessageDeltas(
      deltas,
      messageTokens(
        await buildMail({ subject: `Book club ${i}`, text: `Next chapter on Thursday ${i}` }),
      ),
      0,
      1,
    );
  await withTransaction((client) => applyTokenDeltas(client, account.id, deltas));

  await deliverMail(account.id, { ...scam(1), to: account.address });
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  try {
    await signIn(page, account.address);
    await row(page, "Unclaimed inheritance transfer 1").getByRole("checkbox").check();
    await toolbar(page).getByRole("button", { name: "Junk" }).click();
    await page.getByRole("status").filter({ hasText: "marked as junk" }).waitFor();
    assert.deepEqual((await loadModels(account.id)).user.spamMessages, 10);

    const probe = await buildMail(scam(2));
    const score = await scoreSpam({ accountId: account.id, source: probe });
    assert.ok(
      score && score.spamProbability >= CLASSIFIER_CUTOFFS.spam,
      `score ${score?.spamProbability}`,
    );
    assert.deepEqual(score.reasons, ["Like messages you marked as junk"]);

    // Not junk, from the Junk folder: the mark is taken back, counted once.
    await page
      .getByRole("navigation", { name: "Folders" })
      .getByRole("link", { name: /^Junk/ })
      .click();
    await page.getByRole("heading", { name: "Junk" }).waitFor();
    await row(page, "Unclaimed inheritance transfer 1").getByRole("checkbox").check();
    await toolbar(page).getByRole("button", { name: "Not junk" }).click();
    await page.getByRole("status").filter({ hasText: "moved to the Inbox" }).waitFor();
    const { user } = await loadModels(account.id);
    assert.deepEqual([user.spamMessages, user.hamMessages], [9, 13]);
  } finally {
    await context.close();
  }
});
