// The composer in Chromium against the production build and a real gateway
// (scheduled-send worker and relay to a loopback peer standing in for a
// remote domain): rich text with attachments (upload progress), send to a
// local user (seen live) and to the peer (well-formed MIME), invalid
// addresses, reply / reply all / forward with attachments, draft autosave
// and reopen, undo within the window and after it, scheduled send and the
// Outbox, delivery status in Sent.
import assert from "node:assert/strict";
import { test } from "node:test";
import { simpleParser, type ParsedMail } from "mailparser";
import type { Browser, Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { composer, messageRow, openMail as openMailPage } from "../helpers/compose.ts";
import { startTestGateway } from "../helpers/smtp-harness.ts";
import { startSmtpPeer } from "../helpers/smtp-peer.ts";

// Long enough for the Undo click to land within the window on a loaded machine.
const UNDO_SECONDS = 8;
const databaseUrl = await useTestDatabase();
const peer = await startSmtpPeer();
process.env.RELAY_ROUTES = `remote.test=127.0.0.1:${peer.port}`;
process.env.RELAY_POLL_SECONDS = "0.2";
const { db } = await import("../../lib/db.ts");

const ann = await makeAccount("ann");
const bob = await makeAccount("bob");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl, UNDO_SEND_SECONDS: String(UNDO_SECONDS) }),
  launchBrowser(),
]);
await startTestGateway({ submissionPort: null });
test.after(() => peer.close());
// The first requests of a fresh server are slow on a loaded machine: warm
// up the pages the tests use before timing anything.
for (const path of ["/login", "/mail"]) await fetch(`${web.url}${path}`);

const openMail = (address: string) => openMailPage(browser, web.url, address);
const row = messageRow;
const folderLink = (page: Page, name: string) =>
  page
    .getByRole("navigation", { name: "Folders" })
    .getByRole("link", { name: new RegExp(`^${name}`) });

const chipAddresses = (panel: ReturnType<typeof composer>) =>
  panel
    .getByTestId("recipient-chip")
    .evaluateAll((chips) => chips.map((c) => c.getAttribute("data-address") ?? ""));

async function addRecipient(page: Page, field: "To" | "Cc" | "Bcc", address: string) {
  const input = composer(page).getByRole("combobox", { name: field });
  await input.fill(address);
  await input.press("Enter");
}

async function peerMessage(subject: string, timeoutMs = 20_000): Promise<ParsedMail> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const m of peer.received) {
      const parsed = await simpleParser(m.raw);
      if (parsed.subject === subject) return parsed;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the peer did not receive "${subject}"`);
}

async function peerHas(subject: string): Promise<boolean> {
  for (const m of peer.received) if ((await simpleParser(m.raw)).subject === subject) return true;
  return false;
}

const PDF = Buffer.from("%PDF-1.4\n% compose test\n" + "x".repeat(600_000) + "\n%%EOF\n");
const CSV = Buffer.from("a,b\n1,2\n");

test("compose rich text with two attachments; local recipient sees it live, the peer gets well-formed MIME", async () => {
  const bobView = await openMail(bob.address);
  await bobView.page.getByRole("heading", { name: "Inbox" }).waitFor();
  const { page, context } = await openMail(ann.address);

  await page.keyboard.press("c");
  const panel = composer(page);
  await panel.waitFor();
  await addRecipient(page, "To", "not an address");
  await panel.locator(".chip.invalid").filter({ hasText: "not an address" }).waitFor();
  await panel.getByRole("button", { name: "Send" }).click();
  await panel.getByTestId("compose-error").filter({ hasText: "invalid address" }).waitFor();
  await panel.getByRole("button", { name: "Remove not an address" }).click();
  await addRecipient(page, "To", bob.address);
  await addRecipient(page, "To", "Remote Peer <peer@remote.test>");
  await panel.getByLabel("Subject").fill("Quarterly plan");
  // Ann has no aliases: no From choice to make, so no From field.
  assert.equal(await panel.getByRole("combobox", { name: "From", exact: true }).count(), 0);
  const body = panel.getByRole("textbox", { name: "Message body" });
  await body.click();
  await page.keyboard.type("Hello team, ");
  await panel.getByRole("button", { name: "Bold" }).click();
  await page.keyboard.type("important");
  await panel.getByRole("button", { name: "Bold" }).click();
  await page.keyboard.press("Enter");
  await panel.getByRole("button", { name: "Bulleted list" }).click();
  await page.keyboard.type("first point");

  // A slow uplink so the progress bars can be seen.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 20,
    downloadThroughput: -1,
    uploadThroughput: 400 * 1024,
  });
  await panel.getByTestId("attach-input").setInputFiles([
    { name: "plan.pdf", mimeType: "application/pdf", buffer: PDF },
    { name: "numbers.csv", mimeType: "text/csv", buffer: CSV },
  ]);
  await panel.getByRole("progressbar", { name: "Uploading plan.pdf" }).waitFor();
  await panel.locator('[data-testid="compose-attachment"][data-state="done"]').nth(1).waitFor();
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });

  await panel.getByRole("button", { name: "Send" }).click();
  await panel.waitFor({ state: "detached" });

  // Live in Bob's Inbox once the window has passed.
  await row(bobView.page, "Quarterly plan").waitFor({ timeout: 20_000 });
  const parsed = await peerMessage("Quarterly plan");
  assert.equal(parsed.from?.value[0]?.address, ann.address);
  assert.deepEqual(
    (parsed.to as { value: { address: string }[] }).value.map((a) => a.address),
    [bob.address, "peer@remote.test"],
  );
  assert.match(parsed.messageId ?? "", /^<.+@mail\.test>$/);
  assert.ok(parsed.date, "parsed.date");
  assert.equal(parsed.headers.get("bcc"), undefined);
  assert.match(String(parsed.html), /<strong>important<\/strong>/);
  assert.match(String(parsed.html), /<li><p>first point<\/p><\/li>/);
  assert.match(parsed.text ?? "", /Hello team, important/);
  const raw = peer.received.find((m) => m.raw.includes("Quarterly plan"))!.raw.toString("latin1");
  assert.match(raw, /multipart\/alternative/);
  assert.match(raw, /multipart\/mixed/);
  const files = parsed.attachments.map((a) => [a.filename, a.contentType]);
  assert.deepEqual(files, [
    ["plan.pdf", "application/pdf"],
    ["numbers.csv", "text/csv"],
  ]);
  assert.ok(
    parsed.attachments[0]!.content.equals(PDF),
    "parsed.attachments[0]!.content.equals(PDF)",
  );
  assert.ok(
    parsed.attachments[1]!.content.equals(CSV),
    "parsed.attachments[1]!.content.equals(CSV)",
  );

  // Sent shows per-recipient delivery status from the queue.
  await folderLink(page, "Sent").click();
  await row(page, "Quarterly plan").click();
  await page
    .getByTestId("delivery-status")
    .filter({ hasText: "peer@remote.test" })
    .and(page.locator('[data-status="delivered"]'))
    .waitFor();
  await context.close();
  await bobView.context.close();
});

test("reply, reply all and forward from the reading pane", async () => {
  const { page, context } = await openMail(bob.address);
  await row(page, "Quarterly plan").click();
  const pane = page.getByRole("region", { name: "Reading pane" });
  await pane.getByRole("heading", { name: "Quarterly plan" }).waitFor();

  // r: reply to the sender only; Escape asks before discarding.
  await page.keyboard.press("r");
  let panel = composer(page);
  await panel.getByTestId("recipient-chip").first().waitFor();
  assert.deepEqual(await chipAddresses(panel), [ann.address]);
  assert.equal(await panel.getByLabel("Subject").inputValue(), "Re: Quarterly plan");
  await panel
    .getByRole("textbox", { name: "Message body" })
    .getByText(/wrote:/)
    .waitFor();
  await panel.getByRole("textbox", { name: "Message body" }).click();
  await page.keyboard.type("x");
  page.once("dialog", (d) => void d.accept());
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "detached" });

  // a: reply all drops Bob's own address; Ctrl+Enter sends.
  await page.keyboard.press("a");
  panel = composer(page);
  await panel.getByTestId("recipient-chip").first().waitFor();
  assert.deepEqual((await chipAddresses(panel)).sort(), [ann.address, "peer@remote.test"].sort());
  await panel.getByRole("textbox", { name: "Message body" }).click();
  await page.keyboard.press("Control+Home");
  await page.keyboard.type("Agreed.");
  await page.keyboard.press("Control+Enter");
  // The composer closes once the server holds the message (the Undo toast
  // can be over before a loaded machine shows it).
  await composer(page).waitFor({ state: "detached" });
  const replyAll = await peerMessage("Re: Quarterly plan");
  assert.match(String(replyAll.html), /Agreed\./);
  assert.match(String(replyAll.html), /<blockquote>/);
  assert.match(replyAll.inReplyTo ?? "", /@mail\.test>$/);
  assert.equal(
    (replyAll.references as string | string[] | undefined)?.toString(),
    replyAll.inReplyTo,
  );

  // f: forward carries the attachments; one is removed before sending. The
  // original, that is: once a live refresh lands, the conversation also
  // holds the reply all (in Sent, newest, so expanded and last).
  const original = await db.message.findFirstOrThrow({
    where: { accountId: bob.id, subject: "Quarterly plan", mailbox: { specialUse: "INBOX" } },
  });
  // Wait for that refresh, so the step below always runs against both messages.
  await pane.getByTestId("conversation-message").nth(1).waitFor({ state: "attached" });
  const card = pane.locator(`[data-message-id="${original.id}"]`);
  await card.evaluate((details) => ((details as HTMLDetailsElement).open = true));
  await card.getByRole("button", { name: "Forward" }).click();
  panel = composer(page);
  await panel.getByTestId("compose-attachment").nth(1).waitFor();
  assert.equal(await panel.getByLabel("Subject").inputValue(), "Fwd: Quarterly plan");
  await panel.getByRole("button", { name: "Remove numbers.csv" }).click();
  const to = panel.getByRole("combobox", { name: "To" });
  await to.fill("pe");
  // Suggested: the reply all above recorded Bob's correspondents.
  await panel.getByRole("option", { name: /peer@remote\.test/ }).click();
  await panel.getByRole("button", { name: "Send" }).click();
  // The composer closes once the server holds the message (the Undo toast
  // can be over before a loaded machine shows it).
  await composer(page).waitFor({ state: "detached" });
  const forwarded = await peerMessage("Fwd: Quarterly plan");
  assert.match(String(forwarded.html), /Forwarded message/);
  assert.deepEqual(
    forwarded.attachments.map((a) => a.filename),
    ["plan.pdf"],
  );
  assert.ok(
    forwarded.attachments[0]!.content.equals(PDF),
    "forwarded.attachments[0]!.content.equals(PDF)",
  );
  await context.close();
});

test("drafts autosave, survive closing the tab, and reopen with their attachment", async () => {
  const { page, context } = await openMail(ann.address);
  await page.getByRole("button", { name: "New message" }).click();
  const panel = composer(page);
  await addRecipient(page, "To", "someone@remote.test");
  await panel.getByLabel("Subject").fill("Unfinished thoughts");
  await panel.getByRole("textbox", { name: "Message body" }).click();
  await page.keyboard.type("Half a sentence");
  await panel
    .getByTestId("attach-input")
    .setInputFiles([{ name: "sketch.csv", mimeType: "text/csv", buffer: CSV }]);
  await panel.getByTestId("draft-status").filter({ hasText: "Draft saved" }).waitFor();
  await page.close();

  const again = await context.newPage();
  await again.goto("/mail");
  await folderLink(again, "Drafts").click();
  await row(again, "Unfinished thoughts").click();
  await again.getByRole("button", { name: "Edit draft" }).click();
  const reopened = composer(again);
  await reopened.getByText("someone@remote.test").waitFor();
  assert.equal(await reopened.getByLabel("Subject").inputValue(), "Unfinished thoughts");
  await reopened
    .getByRole("textbox", { name: "Message body" })
    .getByText("Half a sentence")
    .waitFor();
  await reopened.getByTestId("compose-attachment").filter({ hasText: "sketch.csv" }).waitFor();
  // Sending removes the draft.
  await reopened.getByRole("button", { name: "Send" }).click();
  // The composer closes once the server holds the message (the Undo toast
  // can be over before a loaded machine shows it).
  await composer(again).waitFor({ state: "detached" });
  await row(again, "Unfinished thoughts").waitFor({ state: "detached" });
  const drafts = await db.message.count({
    where: { accountId: ann.id, mailbox: { specialUse: "DRAFTS" } },
  });
  assert.equal(drafts, 0);
  await peerMessage("Unfinished thoughts");
  await context.close();
});

test("undo within the window sends nothing and reopens the message; after the window it leaves", async () => {
  const { page, context } = await openMail(ann.address);
  await page.keyboard.press("c");
  const panel = composer(page);
  await addRecipient(page, "To", "peer@remote.test");
  await panel.getByLabel("Subject").fill("Second thoughts");
  await panel.getByRole("textbox", { name: "Message body" }).click();
  await page.keyboard.type("Maybe not");
  await panel.getByRole("button", { name: "Send" }).click();
  await page.getByTestId("undo-toast").getByRole("button", { name: "Undo" }).click();
  const back = composer(page);
  assert.equal(await back.getByLabel("Subject").inputValue(), "Second thoughts");
  await back.getByRole("textbox", { name: "Message body" }).getByText("Maybe not").waitFor();
  // Well past the window: nothing reached the peer.
  await new Promise((r) => setTimeout(r, (UNDO_SECONDS + 2) * 1000));
  assert.equal(await peerHas("Second thoughts"), false);

  // Send it after all and let the window pass.
  await back.getByRole("button", { name: "Send" }).click();
  await back.waitFor({ state: "detached" });
  await peerMessage("Second thoughts");
  assert.equal(
    peer.received.filter((m) => m.raw.includes("Second thoughts")).length,
    1,
    "sent exactly once",
  );
  await context.close();
});

test("scheduled send waits in the Outbox, can be cancelled, and leaves at its time", async () => {
  const { page, context } = await openMail(ann.address);
  // The browser's local time (what datetime-local means), as a string
  // expression: tsx's helpers do not exist in the page.
  const localTime = (msFromNow: number) =>
    page.evaluate<string>(`(() => {
      const d = new Date(Date.now() + ${msFromNow});
      const p = (n) => String(n).padStart(2, "0");
      return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" +
        p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
    })()`);

  for (const [subject, ms] of [
    ["Much later", 3 * 24 * 3600_000],
    ["In a moment", 8_000],
  ] as const) {
    await page.keyboard.press("c");
    const panel = composer(page);
    await addRecipient(page, "To", "peer@remote.test");
    await panel.getByLabel("Subject").fill(subject);
    await panel.getByRole("button", { name: "Schedule…" }).click();
    await panel.getByLabel("Send at").fill(await localTime(ms));
    await panel.getByRole("button", { name: "Schedule send" }).click();
    await page.getByRole("status").filter({ hasText: "Scheduled for" }).waitFor();
    await panel.waitFor({ state: "detached" });
  }
  await page.getByRole("button", { name: "Outbox" }).click();
  const outbox = page.getByRole("dialog", { name: "Outbox" });
  await outbox.getByTestId("outbox-item").filter({ hasText: "Much later" }).waitFor();
  await outbox.getByTestId("outbox-item").filter({ hasText: "In a moment" }).waitFor();
  await outbox.getByRole("button", { name: "Cancel send Much later" }).click();
  await outbox
    .getByTestId("outbox-item")
    .filter({ hasText: "Much later" })
    .waitFor({ state: "detached" });
  await outbox.getByRole("button", { name: "Close" }).click();

  await peerMessage("In a moment", 25_000);
  assert.equal(await peerHas("Much later"), false);
  assert.equal(await db.pendingSubmission.count({ where: { accountId: ann.id } }), 0);
  await folderLink(page, "Drafts").click();
  await row(page, "Much later").waitFor();
  await context.close();
});
