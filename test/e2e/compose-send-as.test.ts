// Sending as an alias in Chromium against the production build and a real
// gateway (its scheduled-send worker submits after the undo window): the
// composer's From lists the account's address and the alias it owns; a
// From rewritten on the wire to someone else's address is refused by the
// server with a clear error; sent as the alias, the recipient sees the alias
// with the display name; a reply to mail sent to the alias defaults to it,
// and the reply's draft reopens with it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser, Page, Route } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail } from "../helpers/mail.ts";
import { composer, messageRow, openMail as openMailPage } from "../helpers/compose.ts";
import { ownAlias } from "../helpers/aliases.ts";
import { startTestGateway } from "../helpers/smtp-harness.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

const ann = await makeAccount("ann");
const bob = await makeAccount("bob");
const carol = await makeAccount("carol");
await db.account.update({ where: { id: ann.id }, data: { displayName: "Ann Writer" } });
await ownAlias(ann.address, "sales@mail.test");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl, UNDO_SEND_SECONDS: "2" }),
  launchBrowser(),
]);
await startTestGateway({ submissionPort: null });
for (const path of ["/login", "/mail"]) await fetch(`${web.url}${path}`);

const openMail = (address: string) => openMailPage(browser, web.url, address);
const fromField = (page: Page) =>
  composer(page).getByRole("combobox", { name: "From", exact: true });
const row = messageRow;

test("send as an owned alias; a From forged on the wire is refused", async () => {
  const bobView = await openMail(bob.address);
  const { page, context } = await openMail(ann.address);
  await page.keyboard.press("c");
  const panel = composer(page);
  const from = fromField(page);
  assert.equal(await from.inputValue(), ann.address, "the account's own address by default");
  assert.deepEqual(await from.locator("option").allTextContents(), [
    `Ann Writer <${ann.address}>`,
    "Ann Writer <sales@mail.test>",
  ]);
  await from.selectOption("sales@mail.test");
  const to = panel.getByRole("combobox", { name: "To" });
  await to.fill(bob.address);
  await to.press("Enter");
  await panel.getByLabel("Subject").fill("From the sales desk");
  await panel.getByRole("textbox", { name: "Message body" }).click();
  await page.keyboard.type("Our prices");
  // Autosave done: the next action posted is Send's.
  await panel.getByTestId("draft-status").filter({ hasText: "Draft saved" }).waitFor();

  // The send action's body with the From changed to Carol's address.
  let forged = 0;
  const forge = async (route: Route) => {
    const request = route.request();
    const body = request.postData() ?? "";
    if (request.method() === "POST" && request.headers()["next-action"] && forged === 0) {
      const rewritten = body.replace('"from":"sales@mail.test"', `"from":"${carol.address}"`);
      if (rewritten !== body) {
        forged++;
        return route.continue({ postData: rewritten });
      }
    }
    return route.continue();
  };
  await page.route("**/*", forge);
  await panel.getByRole("button", { name: "Send" }).click();
  await panel
    .getByTestId("compose-error")
    .filter({ hasText: `You cannot send as ${carol.address}.` })
    .waitFor();
  await page.unroute("**/*", forge);
  assert.equal(forged, 1, "the send request was rewritten");
  assert.equal(await db.pendingSubmission.count(), 0, "nothing held for sending");

  await panel.getByRole("button", { name: "Send" }).click();
  await panel.waitFor({ state: "detached" });
  await row(bobView.page, "From the sales desk").filter({ hasText: "Ann Writer" }).waitFor();
  const stored = await db.message.findFirstOrThrow({
    where: { accountId: bob.id, subject: "From the sales desk" },
    include: { source: true },
  });
  assert.match(
    Buffer.from(stored.source.raw).toString("latin1"),
    /^From: Ann Writer <sales@mail\.test>\r$/m,
  );
  await row(bobView.page, "From the sales desk").click();
  await bobView.page
    .getByRole("region", { name: "Reading pane" })
    .locator(".message-headers")
    .getByText("Ann Writer <sales@mail.test>")
    .waitFor();
  await context.close();
  await bobView.context.close();
});

test("a reply to mail sent to the alias is from the alias, and its draft reopens from it", async () => {
  await deliverMail(ann.id, {
    from: "Client <client@remote.test>",
    to: "sales@mail.test",
    subject: "Need a quote",
  });
  const { page, context } = await openMail(ann.address);
  await row(page, "Need a quote").click();
  await page
    .getByRole("region", { name: "Reading pane" })
    .getByRole("heading", { name: "Need a quote" })
    .waitFor();
  await page.keyboard.press("r");
  const panel = composer(page);
  await panel.getByTestId("recipient-chip").first().waitFor();
  assert.equal(await fromField(page).inputValue(), "sales@mail.test");
  await panel.getByRole("textbox", { name: "Message body" }).click();
  await page.keyboard.type("Here it is");
  await panel.getByTestId("draft-status").filter({ hasText: "Draft saved" }).waitFor();
  await panel.getByRole("button", { name: "Close and save draft" }).click();
  await panel.waitFor({ state: "detached" });

  await page
    .getByRole("navigation", { name: "Folders" })
    .getByRole("link", { name: /^Drafts/ })
    .click();
  await row(page, "Re: Need a quote").click();
  await page.getByRole("button", { name: "Edit draft" }).click();
  await composer(page)
    .getByTestId("recipient-chip")
    .and(page.locator('[data-address="client@remote.test"]'))
    .waitFor();
  assert.equal(await fromField(page).inputValue(), "sales@mail.test");
  await context.close();
});
