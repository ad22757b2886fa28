// Staying informed in Chromium: desktop notifications are asked for only on
// the user's click (Settings), announce new mail of the chosen folders from
// the live-update stream while the webmail is not in view, and not of
// others; the web app manifest and the service worker make the webmail
// installable (Chromium reports no installability error).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail, signIn, waitForLive } from "../helpers/mail.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

await makeAccount("setup");
const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);

// The page's Notification API, recorded: what was shown, whether permission
// was asked (the answer kept across pages); and the page out of view (a
// background tab).
const FAKE_NOTIFICATIONS = `
  (() => {
    // The permission outlives a page, as the browser's does.
    const state = { shown: [], asked: 0, permission: localStorage.getItem("fake-permission") || "default" };
    class FakeNotification {
      constructor(title, options) { state.shown.push({ title, tag: options && options.tag }); }
      static get permission() { return state.permission; }
      static async requestPermission() {
        state.asked++;
        state.permission = "granted";
        localStorage.setItem("fake-permission", "granted");
        return "granted";
      }
    }
    window.Notification = FakeNotification;
    window.__notifications = state;
    Object.defineProperty(document, "visibilityState", { get: () => "hidden" });
    document.hasFocus = () => false;
  })();
`;

type NoteState = { shown: { title: string; tag?: string }[]; asked: number };
const notes = (page: Page) =>
  page.evaluate(() => (window as unknown as { __notifications: NoteState }).__notifications);

test("notifications: asked on a click, then new mail of the chosen folders is announced", async () => {
  const account = await makeAccount("notified");
  const context = await newContext(browser, web.url);
  await context.addInitScript(FAKE_NOTIFICATIONS);
  const page = await context.newPage();
  await signIn(page, account.address);
  await page.goto("/settings");
  const section = page.getByRole("region", { name: "Notifications" });
  await section.getByText("Desktop notifications are off in this browser.").waitFor();
  assert.equal((await notes(page)).asked, 0, "not asked before the click");
  await section.getByRole("button", { name: "Turn on desktop notifications" }).click();
  await section.getByText("Desktop notifications are on in this browser.").waitFor();
  assert.equal((await notes(page)).asked, 1);
  // Headless Chromium has no push service here: the page says so.
  await section.getByRole("status").waitFor();

  const inbox = section.getByRole("checkbox", { name: "Inbox" });
  assert.equal(await inbox.isChecked(), true, "the Inbox by default");
  await section.getByRole("checkbox", { name: "Archive" }).check();
  await section.getByRole("button", { name: "Save folders" }).click();
  await section.getByText("Notification folders saved.").waitFor();
  const boxes = await db.mailbox.findMany({ where: { accountId: account.id } });
  const saved = (await db.account.findUniqueOrThrow({ where: { id: account.id } })).settings as {
    notifications: { folders: string[] };
  };
  assert.deepEqual(
    saved.notifications.folders.map((id) => boxes.find((b) => b.id === id)?.name).sort(),
    ["Archive", "Inbox"],
  );

  await page.goto("/mail");
  await waitForLive(page);
  await deliverMail(account.id, { to: account.address, subject: "Ping" });

  await page.waitForFunction(
    () => (window as unknown as { __notifications: NoteState }).__notifications.shown.length === 1,
  );
  assert.deepEqual((await notes(page)).shown, [
    {
      title: "New mail in Inbox",
      tag: `new-mail-${boxes.find((b) => b.specialUse === "INBOX")!.id}`,
    },
  ]);

  // The Inbox no longer announced: new mail there shows nothing.
  await page.goto("/settings");
  await section.getByRole("checkbox", { name: "Inbox" }).uncheck();
  await section.getByRole("button", { name: "Save folders" }).click();
  await section.getByText("Notification folders saved.").waitFor();
  await page.goto("/mail");
  await waitForLive(page);
  await deliverMail(account.id, { to: account.address, subject: "Quiet" });
  await page.locator(".row-subject", { hasText: "Quiet" }).waitFor();
  assert.equal((await notes(page)).shown.length, 0);
});

test("installable: the manifest is linked and the service worker controls the mail page", async () => {
  const account = await makeAccount("installer");
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  await signIn(page, account.address);
  const href = await page.locator('link[rel="manifest"]').getAttribute("href");
  assert.ok(href);
  const manifest = (await (await page.request.get(href)).json()) as Record<string, unknown>;
  assert.equal(manifest.start_url, "/mail");
  assert.equal(manifest.display, "standalone");
  const script = await page.evaluate(
    async () => (await navigator.serviceWorker.ready).active?.scriptURL ?? "",
  );
  assert.equal(new URL(script).pathname, "/sw.js");
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = (await cdp.send("Page.getInstallabilityErrors")) as {
    installabilityErrors: { errorId: string }[];
  };
  // A Playwright context is an incognito profile, which never installs apps;
  // anything else (manifest, icons, service worker) would be listed too.
  assert.deepEqual(
    installabilityErrors.map((e) => e.errorId).filter((id) => id !== "in-incognito"),
    [],
  );
});
