// The JavaScript /mail makes Chromium load before anyone writes a message:
// the rich-text editor (Tiptap on ProseMirror, the largest client library)
// loads only when a composer opens, and the page stays within its budget of
// 60 KB gzip above an empty page built the same way (issue 19).
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeAccount } from "../helpers/accounts.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { composer } from "../helpers/compose.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { signIn, waitForLive } from "../helpers/mail.ts";
import { holdsEditor, ScriptRecorder } from "../helpers/page-scripts.ts";
import { startWebServer } from "../helpers/web.ts";

const BUDGET_ABOVE_FLOOR = 60 * 1024;

await useTestDatabase();
await makeAccount("jsbudget");
const [web, browser] = await Promise.all([startWebServer(), launchBrowser()]);

test("/mail loads no editor until a composer opens, and stays within 60 KB above an empty page", async () => {
  const context = await newContext(browser, web.url);
  context.setDefaultTimeout(30_000);

  const floorPage = await context.newPage();
  const floor = new ScriptRecorder(floorPage);
  await floorPage.goto("/this-page-does-not-exist", { waitUntil: "networkidle" });
  const floorJs = await floor.settle();
  await floorPage.close();

  const page = await context.newPage();
  await signIn(page, "jsbudget@mail.test");
  // Only what /mail itself loads, as a cold start of the page would.
  const mail = new ScriptRecorder(page);
  await page.reload({ waitUntil: "networkidle" });
  await waitForLive(page);
  const mailJs = await mail.settle();
  const editorChunks = mailJs.scripts.filter(holdsEditor).map((s) => s.url);
  assert.deepEqual(editorChunks, [], "the editor is loaded before any composer opened");
  const above = mailJs.gzipBytes - floorJs.gzipBytes;
  assert.ok(
    above <= BUDGET_ABOVE_FLOOR,
    `/mail loads ${mailJs.gzipBytes} B gzip in ${mailJs.files} scripts, ${above} B above the empty page's ${floorJs.gzipBytes} B`,
  );

  // Opening the composer loads the editor, and it works.
  await page.getByRole("button", { name: "New message" }).click();
  const panel = composer(page);
  const body = panel.getByRole("textbox", { name: "Message body" });
  await body.click();
  await page.keyboard.type("Loaded when needed");
  await assert.doesNotReject(body.getByText("Loaded when needed").waitFor());
  const afterOpen = await mail.settle();
  assert.ok(afterOpen.scripts.some(holdsEditor), "opening the composer loaded the editor");
  await context.close();
});
