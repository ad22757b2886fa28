// Labels and unsubscribe in Chromium: a label made from the reading pane
// is an IMAP keyword on the message, shows as a coloured chip in the list,
// links from beside the folders and is found by `label:` in search; a
// keyword set by an IMAP client shows as a label. On list mail,
// "Unsubscribe" makes the server POST RFC 8058's body to the list's URL
// (a local HTTP server; loopback allowed by the test-only setting).
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail, deliverRaw, signIn } from "../helpers/mail.ts";
import { row } from "../helpers/mail-page.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { setMessageFlags } = await import("../../lib/store/set-message-flags.ts");

const posts: { url: string; body: string; browser: boolean }[] = [];
const listServer = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString()));
  req.on("end", () => {
    posts.push({
      url: req.url!,
      body,
      browser: /Chrome|Mozilla/.test(req.headers["user-agent"] ?? ""),
    });
    res.writeHead(200).end("unsubscribed");
  });
});
await new Promise<void>((r) => listServer.listen(0, "127.0.0.1", r));
after(() => new Promise<void>((r) => listServer.close(() => r())));
const listPort = (listServer.address() as AddressInfo).port;

await makeAccount("setup");
const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl, OUTBOUND_HTTP_ALLOW_PRIVATE: "true" }),
  launchBrowser(),
]);

test("labels: made in the reading pane, kept as IMAP keywords, shown in the list, searched with label:", async () => {
  const account = await makeAccount("label-e2e");
  const invoice = await deliverMail(account.id, { to: account.address, subject: "Invoice 7" });
  const trip = await deliverMail(account.id, { to: account.address, subject: "Trip ideas" });
  // Thunderbird's "Later" tag, set over IMAP (the store path IMAP STORE uses).
  const tripRow = await db.message.findFirstOrThrow({ where: { id: trip.messageId } });
  await setMessageFlags(account.id, tripRow.mailboxId, [tripRow.uid], {
    mode: "add",
    system: {},
    keywords: ["$label5"],
  });
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  await signIn(page, account.address);
  await row(page, "Trip ideas").locator(".label-chip", { hasText: "Later" }).waitFor();

  await row(page, "Invoice 7").locator(".row-link").click();
  const tools = page.getByRole("group", { name: "Message tools" });
  await tools.getByRole("button", { name: "Labels" }).click();
  const menu = page.getByRole("group", { name: "Labels" });
  await menu.getByLabel("New label").fill("Money matters");
  await menu.getByLabel("Colour").selectOption({ label: "Green" });
  await menu.getByRole("button", { name: "Create label" }).click();
  await menu.getByRole("checkbox", { name: "Money matters", checked: true }).waitFor({
    timeout: 30_000,
  });
  assert.equal(await menu.getByRole("checkbox", { name: "Money matters" }).isChecked(), true);

  const stored = await db.message.findFirstOrThrow({ where: { id: invoice.messageId } });
  assert.deepEqual(stored.keywords, ["money_matters"]);
  const chip = row(page, "Invoice 7").locator(".label-chip", { hasText: "Money matters" });
  await chip.waitFor();
  assert.equal(
    await chip.evaluate((el) => getComputedStyle(el).borderTopColor),
    "rgb(22, 163, 74)",
  );

  // Beside the folders, the label links to its search.
  await page
    .getByRole("navigation", { name: "Folders" })
    .getByRole("link", { name: "Money matters" })
    .click();
  await page.waitForURL(/q=label/);
  await page.getByRole("heading", { name: "Search results" }).waitFor();
  assert.deepEqual(await page.locator(".row-subject").allInnerTexts(), ["Invoice 7"]);
  await page.getByLabel("Search mail").fill("label:later");
  await page.getByLabel("Search mail").press("Enter");
  await page.waitForURL(/later/);
  await row(page, "Trip ideas").waitFor();
  assert.deepEqual(await page.locator(".row-subject").allInnerTexts(), ["Trip ideas"]);

  // Off again from the menu.
  await row(page, "Trip ideas").locator(".row-link").click();
  await tools.getByRole("button", { name: "Labels" }).click();
  // The box follows the server's answer (a controlled input), so click, then wait.
  await menu.getByRole("checkbox", { name: "Later" }).click();
  await page.waitForFunction(
    () => document.querySelectorAll(".message-row .label-chip").length === 0,
  );
  assert.deepEqual(
    (await db.message.findFirstOrThrow({ where: { id: trip.messageId } })).keywords,
    [],
  );
});

test("unsubscribe: the server, not the browser, makes the RFC 8058 one-click POST", async () => {
  const account = await makeAccount("unsub-e2e");
  await deliverRaw(
    [account.id],
    Buffer.from(
      [
        "From: Deals <deals@shop.example>",
        `To: ${account.address}`,
        "Subject: Weekly deals",
        "Message-ID: <deals-1@shop.example>",
        `List-Unsubscribe: <http://127.0.0.1:${listPort}/u/abc>`,
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "",
        "Deals!",
        "",
      ].join("\r\n"),
    ),
  );
  await deliverMail(account.id, { to: account.address, subject: "Not a list" });
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  await signIn(page, account.address);
  const tools = page.getByRole("group", { name: "Message tools" });

  await row(page, "Not a list").locator(".row-link").click();
  await tools.getByRole("button", { name: "Pin" }).waitFor();
  assert.equal(await tools.getByRole("button", { name: "Unsubscribe" }).count(), 0);

  await row(page, "Weekly deals").locator(".row-link").click();
  page.once("dialog", (dialog) => void dialog.accept());
  await tools.getByRole("button", { name: "Unsubscribe" }).click();
  await tools.getByRole("status").filter({ hasText: "You are unsubscribed." }).waitFor();
  assert.deepEqual(posts, [{ url: "/u/abc", body: "List-Unsubscribe=One-Click", browser: false }]);
});
