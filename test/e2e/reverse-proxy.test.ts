// The webmail behind a reverse proxy that rewrites Host (nginx's plain
// proxy_pass) and says the browser's in X-Forwarded-Host/-Proto, with
// TRUST_PROXY=true and no PUBLIC_URL: in Chromium at the proxy's address,
// sign-in, flag changes, a server action, an upload, inline images of the
// message frame and sign-out all work and stay at the proxy's address;
// other origins are still refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { composer, messageRow } from "../helpers/compose.ts";
import { deliverMail, loadedImageWidth, PNG, signIn, waitForLive } from "../helpers/mail.ts";
import { startReverseProxy } from "../helpers/reverse-proxy.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

const account = await makeAccount("proxied");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl, TRUST_PROXY: "true" }),
  launchBrowser(),
]);
const proxy = await startReverseProxy(web.port);

test("behind a proxy with TRUST_PROXY, the proxy's address is the site's own", async () => {
  const { messageId } = await deliverMail(account.id, {
    to: account.address,
    subject: "Through the proxy",
    html: `<p id="text">Hello</p><img id="logo" src="cid:logo@example.org" alt="logo">`,
    attachments: [
      { filename: "logo.png", content: PNG, contentType: "image/png", cid: "logo@example.org" },
    ],
  });
  const context = await newContext(browser, proxy.url);
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  await signIn(page, account.address);
  assert.ok(page.url().startsWith(`${proxy.url}/mail`), page.url());
  await waitForLive(page);

  // Opening marks it read through the flags route; its inline image loads
  // in the sandboxed frame (whose CSP names the proxy's origin).
  const marked = page.waitForResponse((r) => r.url() === `${proxy.url}/api/messages/flags`);
  await messageRow(page, "Through the proxy").click();
  assert.equal((await marked).status(), 200);
  const frame = page.frameLocator('[data-testid="message-frame"]');
  await frame.locator("#text").waitFor();
  assert.equal(await loadedImageWidth(page, frame, "#logo"), 1, "the inline image is shown");

  // An upload in the composer, then a server action (Archive).
  await page.keyboard.press("c");
  const panel = composer(page);
  const uploaded = page.waitForResponse((r) => r.url() === `${proxy.url}/api/compose/uploads`);
  await panel
    .getByTestId("attach-input")
    .setInputFiles([{ name: "a.txt", mimeType: "text/plain", buffer: Buffer.from("a\n") }]);
  assert.equal((await uploaded).status(), 201);
  await panel.getByRole("button", { name: "Close and save draft" }).click();
  await messageRow(page, "Through the proxy").getByRole("checkbox").check();
  await page
    .getByRole("toolbar", { name: "Message actions" })
    .getByRole("button", { name: "Archive" })
    .click();
  await page.getByRole("status").filter({ hasText: "Message archived." }).waitFor();
  const archived = await db.message.findFirstOrThrow({
    where: { accountId: account.id, id: messageId },
    select: { seen: true, mailbox: { select: { specialUse: true } } },
  });
  assert.deepEqual(archived, { seen: true, mailbox: { specialUse: "ARCHIVE" } });

  // Requests without Sec-Fetch-Site: the proxy's origin is ours, others not.
  const post = (origin: string) =>
    context.request.post(`${proxy.url}/api/messages/flags`, {
      headers: { origin },
      data: { ids: [messageId], flagged: true },
    });
  assert.equal((await post(proxy.url)).status(), 200);
  assert.equal((await post("http://evil.example")).status(), 403);
  assert.equal((await post(`http://127.0.0.1:${web.port}`)).status(), 403);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login$/);
  assert.equal(page.url(), `${proxy.url}/login`);
  await context.close();
});
