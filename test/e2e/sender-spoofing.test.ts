// Sending as someone else, seen in Chromium against the production build
// and a real gateway: mail from outside that claims our domain arrives over
// the MX port (refused by default; filed as Junk with the admin setting this
// test uses) and its reading pane warns "Sent from outside — claims to be
// from your domain (…)" (and the sender's images are not trusted on its
// word); the settings refuse a display name that reads as another address;
// a name saved before that rule makes the composer's Send fail with the
// reason, and nothing is held or sent.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { composer, messageRow, openMail as openMailPage } from "../helpers/compose.ts";
import { sendOnce, simpleMessage, startTestGateway } from "../helpers/smtp-harness.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { trustImagesFrom } = await import("../../lib/store/mail-preferences.ts");
const { updateSpamSettings } = await import("../../lib/spam/settings.ts");
await updateSpamSettings({ hostedSpoofAction: "junk" });

const bob = await makeAccount("bob");
const ann = await makeAccount("ann");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
const { createStaticResolver } = await import("../../lib/dns/resolver.ts");
const gateway = await startTestGateway({
  submissionPort: null,
  relay: false,
  // bank.example asks for its unauthenticated mail to be quarantined (RFC 7489).
  resolver: createStaticResolver({ "_dmarc.bank.example": { TXT: [["v=DMARC1; p=quarantine"]] } }),
});
for (const path of ["/login", "/mail", "/settings"]) await fetch(`${web.url}${path}`);
const openMail = (address: string) => openMailPage(browser, web.url, address);

async function fromOutside(mailFrom: string, from: string, subject: string, html?: string) {
  const body = html
    ? simpleMessage(
        { from, subject, extraHeaders: ["MIME-Version: 1.0", "Content-Type: text/html"] },
        html,
      )
    : simpleMessage({ from, subject });
  const result = await sendOnce(gateway.smtpPort, { from: mailFrom, to: [bob.address] }, body);
  assert.equal(result.final?.code, 250, result.final?.text);
}

test("mail from outside claiming our domain lands in Junk marked, and the reading pane warns", async () => {
  // Bob trusts admin@'s images; a stranger using that name gets no such trust.
  await trustImagesFrom(bob.id, "admin@mail.test");
  await fromOutside(
    "stranger@evil.test",
    "IT Desk <admin@mail.test>",
    "Reset your password",
    '<p>Click here</p><img src="https://evil.test/track.png">',
  );
  await fromOutside("alice@example.org", "Alice <alice@example.org>", "Lunch on Friday");
  await fromOutside("alerts@bank.example", "Bank <alerts@bank.example>", "Your statement");
  const stored = await db.message.findFirstOrThrow({
    where: { accountId: bob.id, subject: "Reset your password" },
  });
  assert.equal(stored.claimedLocalSender, "admin@mail.test", "recorded as data on the copy");

  const { page } = await openMail(bob.address);
  await page
    .getByRole("navigation", { name: "Folders" })
    .getByRole("link", { name: /^Junk/ })
    .click();
  await page.getByRole("heading", { name: "Junk" }).waitFor();
  await messageRow(page, "Reset your password").click();
  const pane = page.getByRole("region", { name: "Reading pane" });
  const warning = pane.getByTestId("spoof-warning");
  await warning.waitFor();
  assert.equal(
    await warning.innerText(),
    "Sent from outside — claims to be from your domain (admin@mail.test)",
  );
  assert.equal(await warning.getAttribute("role"), "alert");
  // Why it is in Junk, in words, from the verdict kept on the copy.
  assert.equal(
    await pane.getByTestId("junk-reason").innerText(),
    "In Junk because: Claims to be from admin@mail.test but came from outside without mail.test's signature",
  );
  await pane.getByText("Remote images in this message are hidden").waitFor();

  await messageRow(page, "Your statement").click();
  await pane.getByRole("heading", { name: "Your statement" }).waitFor();
  assert.equal(
    await pane.getByTestId("junk-reason").innerText(),
    "In Junk because: Failed DMARC for bank.example",
  );
  assert.equal(await pane.getByTestId("spoof-warning").count(), 0);

  await page
    .getByRole("navigation", { name: "Folders" })
    .getByRole("link", { name: /^Inbox/ })
    .click();
  await page.getByRole("heading", { name: "Inbox" }).waitFor();
  await messageRow(page, "Lunch on Friday").click();
  await pane.getByRole("heading", { name: "Lunch on Friday" }).waitFor();
  assert.equal(await pane.getByTestId("spoof-warning").count(), 0);
  assert.equal(await pane.getByTestId("junk-reason").count(), 0, "nothing to explain in the Inbox");
});

test("settings refuse a display name that reads as another address", async () => {
  const { page } = await openMail(ann.address);
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { name: "Settings" }).waitFor();
  await page.getByLabel("Display name").fill("bob@mail.test");
  await page.getByRole("button", { name: "Save profile" }).click();
  await page
    .getByText("A name cannot be an email address other than your own (it reads as bob@mail.test).")
    .waitFor();
  const stored = await db.account.findUniqueOrThrow({ where: { id: ann.id } });
  assert.equal(stored.displayName, "ann");
});

test("a name saved before the rule: Send shows the reason and nothing is held", async () => {
  await db.account.update({ where: { id: ann.id }, data: { displayName: "bob@mail.test" } });
  const { page } = await openMail(ann.address);
  await page.keyboard.press("c");
  const panel = composer(page);
  const to = panel.getByRole("combobox", { name: "To" });
  await to.fill(bob.address);
  await to.press("Enter");
  await panel.getByLabel("Subject").fill("From the boss");
  await panel.getByRole("textbox", { name: "Message body" }).click();
  await page.keyboard.type("Wire the money");
  await panel.getByRole("button", { name: "Send" }).click();
  await panel
    .getByTestId("compose-error")
    .filter({ hasText: "The From field reads as bob@mail.test, an address you cannot send as" })
    .waitFor();
  assert.equal(await db.pendingSubmission.count({ where: { accountId: ann.id } }), 0);
});
