// Automatic replies end to end: the user turns them on in the settings page
// in Chromium, mail from another domain reaches the MX over SMTP, and the
// reply goes out through the relay queue to a loopback peer standing in for
// that domain: once per sender (not for the second message) and never to a
// mailing list. The rules themselves are covered case by case in
// test/integration/smtp/vacation.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { simpleParser } from "mailparser";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { signIn } from "../helpers/mail.ts";
import { sendOnce, simpleMessage, startTestGateway } from "../helpers/smtp-harness.ts";
import { startSmtpPeer } from "../helpers/smtp-peer.ts";

const databaseUrl = await useTestDatabase();
const peer = await startSmtpPeer();
process.env.RELAY_ROUTES = `remote.test=127.0.0.1:${peer.port}`;
process.env.RELAY_POLL_SECONDS = "0.2";
const { db } = await import("../../lib/db.ts");
const { vacationRepliesSettled } = await import("../../lib/delivery/vacation.ts");

const vic = await makeAccount("vic");
const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
const gateway = await startTestGateway({ submissionPort: null });
test.after(() => peer.close());

const day = 24 * 60 * 60 * 1000;
const isoDate = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * day).toISOString().slice(0, 10);

async function mailFromOutside(from: string, subject: string, headers: string[] = []) {
  const result = await sendOnce(
    gateway.smtpPort,
    { from, to: [vic.address] },
    simpleMessage({ from, to: vic.address, subject, extraHeaders: headers }),
  );
  assert.equal(result.final?.code, 250, result.final?.text);
  // The reply is started after the commit: wait until it is queued (or not).
  await vacationRepliesSettled();
}

/** What the peer got for `recipient` from the null sender, once the queue is empty. */
async function autoRepliesTo(recipient: string) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const waiting = await db.outboundRecipient.count({
      where: { status: { in: ["QUEUED", "DEFERRED"] } },
    });
    if (waiting === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const replies = peer.received.filter((m) => m.mailFrom === "" && m.rcptTo.includes(recipient));
  return Promise.all(replies.map((m) => simpleParser(m.raw)));
}

test("automatic replies set in the settings page answer an outside sender once, never a list", async () => {
  const context = await newContext(browser, web.url, { timezoneId: "UTC" });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  await signIn(page, vic.address);
  await page.goto("/settings");
  await page.getByLabel("Send automatic replies").check();
  await page.getByLabel("First day").fill(isoDate(-1));
  await page.getByLabel("Last day").fill(isoDate(7));
  await page.getByLabel("Reply subject").fill("Away this week");
  await page.getByLabel("Reply message").fill("Back next Monday.\nVic");
  await page.getByRole("button", { name: "Save automatic replies" }).click();
  await page.getByText("Automatic replies saved.").waitFor();

  await mailFromOutside("carla@remote.test", "Quarterly figures");
  const [reply] = await autoRepliesTo("carla@remote.test");
  assert.ok(reply, "the outside sender got an automatic reply");
  assert.equal(reply.subject, "Away this week");
  assert.match(reply.text ?? "", /Back next Monday\./);
  assert.equal(reply.headers.get("auto-submitted"), "auto-replied");
  assert.equal(reply.from?.value[0]?.address, vic.address);

  // The same sender again, within the reply interval: no second reply.
  await mailFromOutside("carla@remote.test", "Quarterly figures, corrected");
  assert.equal((await autoRepliesTo("carla@remote.test")).length, 1);

  // A mailing list's message (another sender, so the once-per-sender rule cannot be why).
  await mailFromOutside("news@remote.test", "Weekly digest", [
    "List-Id: Team news <news.remote.test>",
    "Precedence: list",
  ]);
  assert.equal((await autoRepliesTo("news@remote.test")).length, 0);

  // All three messages reached the Inbox; the user sees them in the webmail.
  await page.goto("/mail");
  for (const subject of ["Quarterly figures", "Quarterly figures, corrected", "Weekly digest"]) {
    await page.getByTestId("message-row").filter({ hasText: subject }).first().waitFor();
  }
  await context.close();
});
