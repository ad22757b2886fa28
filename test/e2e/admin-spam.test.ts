// The admin's spam settings page in Chromium against the production build:
// the settings are saved (and refused with the field named when wrong), a
// blocked sender domain saved there is refused by the MX with 550 5.7.1,
// and the page and its action are admin-only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../helpers/db.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { sendOnce, simpleMessage, startTestGateway } from "../helpers/smtp-harness.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { seriousAxeViolations } from "../helpers/mail.ts";
import {
  assertActionAdminOnly,
  assertPageAdminOnly,
  interceptServerAction,
  signInAs,
  waitForHydration,
} from "../helpers/admin-access.ts";

const databaseUrl = await useTestDatabase();
const { getSpamSettings } = await import("../../lib/spam/settings.ts");
const admin = await makeAccount("boss", { role: "ADMIN" });
const bob = await makeAccount("bob");
const gateway = await startTestGateway({ relay: false, submissionPort: null });
const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
const adminContext = await newContext(browser, web.url);
adminContext.setDefaultTimeout(45_000);
const page = await adminContext.newPage();
await signInAs(page, admin.address);

test("spam settings are saved from the page and the MX applies them", async () => {
  await page.goto("/admin/spam");
  await page.getByRole("heading", { name: "Spam and abuse" }).waitFor();
  await waitForHydration(page, "form[aria-label='Spam settings']");
  assert.deepEqual(await seriousAxeViolations(page), []);

  const form = page.getByRole("form", { name: "Spam settings" });
  // A wrong DNS list line is refused, naming what is wrong.
  await form.getByLabel(/^DNS lists/).fill("zen.example ip maybe");
  await form.getByRole("button", { name: "Save spam settings" }).click();
  await form.getByText('DNS lists: "zen.example ip maybe" is not').waitFor();

  await form.getByLabel(/^DNS lists/).fill("zen.example ip reject\ndbl.example domain junk");
  await form.getByLabel("Blocked sender domains, one a line").fill("blocked.example");
  await form.getByLabel(/^Trusted forwarders/).fill("lists.example");
  await form.getByLabel(/^Junk at a spam probability/).fill("80");
  await form.getByRole("checkbox", { name: /Greylisting/ }).check();
  await form.getByRole("button", { name: "Save spam settings" }).click();
  await form.getByText("Spam settings saved.").waitFor();

  const saved = await getSpamSettings();
  assert.deepEqual(saved.dnsLists, [
    { zone: "zen.example", kind: "ip", action: "reject" },
    { zone: "dbl.example", kind: "domain", action: "junk" },
  ]);
  assert.deepEqual(saved.blockedSenderDomains, ["blocked.example"]);
  assert.deepEqual(saved.trustedForwarders, ["lists.example"]);
  assert.equal(saved.contentJunkThreshold, 0.8);
  assert.equal(saved.greylisting.enabled, true);
  assert.equal(saved.hostedSpoofAction, "reject", "left as it was");

  // The gateway runs in this process, whose settings cache the save did not
  // touch: it sees the change within the cache's few seconds.
  let reply = await sendOnce(
    gateway.smtpPort,
    { from: "x@blocked.example", to: [bob.address] },
    simpleMessage({ from: "x@blocked.example", subject: "Blocked" }),
  );
  for (let i = 0; i < 40 && reply.final?.code !== 550; i++) {
    await new Promise((r) => setTimeout(r, 250));
    reply = await sendOnce(
      gateway.smtpPort,
      { from: "x@blocked.example", to: [bob.address] },
      simpleMessage({ from: "x@blocked.example", subject: "Blocked" }),
    );
  }
  assert.equal(reply.final?.code, 550, reply.final?.text);
  assert.match(reply.final!.text, /^5\.7\.1 Mail from blocked\.example is blocked here/);

  await page.reload();
  assert.equal(
    await form.getByLabel("Blocked sender domains, one a line").inputValue(),
    "blocked.example",
  );
});

test("the spam page and its action are admin-only", async () => {
  const userContext = await newContext(browser, web.url);
  userContext.setDefaultTimeout(45_000);
  await signInAs(await userContext.newPage(), bob.address);
  await assertPageAdminOnly(web.url, "/admin/spam", userContext);
  await page.goto("/admin/spam");
  await waitForHydration(page, "form[aria-label='Spam settings']");
  const request = await interceptServerAction(page, () =>
    page
      .getByRole("form", { name: "Spam settings" })
      .getByRole("button", { name: "Save spam settings" })
      .click(),
  );
  await assertActionAdminOnly(web.url, request, userContext);
});
