// Who the composer addresses, in Chromium against the production build:
// replying to one's own message (from Sent, or one's copy in a
// conversation) goes to that message's recipients, Reply all keeps its Cc,
// the user's own addresses left out, as Gmail, Outlook.com and Roundcube do;
// a list pasted (through the clipboard) or typed into a recipient field
// becomes one chip per address, quoted names with commas and semicolons
// kept whole, pieces that are not addresses shown as invalid.
import assert from "node:assert/strict";
import { test } from "node:test";
import { simpleParser } from "mailparser";
import type { Browser, Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail } from "../helpers/mail.ts";
import { ownAlias } from "../helpers/aliases.ts";
import { composer, messageRow, openMail as openMailPage } from "../helpers/compose.ts";

const databaseUrl = await useTestDatabase();
process.env.UNDO_SEND_SECONDS = "0";
const { db } = await import("../../lib/db.ts");
const { sendComposed } = await import("../../lib/compose/send.ts");
const { submitNextDueSend } = await import("../../lib/compose/outbox.ts");
const { composeSchema } = await import("../../lib/compose/model.ts");

const ann = await makeAccount("ann");
const bob = await makeAccount("bob");
await ownAlias(ann.address, "team@mail.test");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
for (const path of ["/login", "/mail"]) await fetch(`${web.url}${path}`);

/** Sends as Ann the way the scheduled-send worker does (submitMessage); returns her Sent copy. */
async function annSends(fields: Record<string, unknown>) {
  await sendComposed(ann.id, composeSchema.parse({ body: "<p>Hello</p>", ...fields }), {
    draftId: null,
    clientIp: "",
  });
  assert.equal(await submitNextDueSend(), true);
  return db.message.findFirstOrThrow({
    where: {
      accountId: ann.id,
      subject: fields.subject as string,
      mailbox: { specialUse: "SENT" },
    },
  });
}

const chipsOf = (page: Page, field: "To" | "Cc") =>
  composer(page)
    .locator(".recipient-field")
    .filter({ has: page.getByRole("combobox", { name: field, exact: true }) })
    .getByTestId("recipient-chip");
const addresses = (page: Page, field: "To" | "Cc") =>
  chipsOf(page, field).evaluateAll((chips) =>
    chips.map((c) => (c.classList.contains("invalid") ? "!" : "") + c.getAttribute("data-address")),
  );

/** Opens the composer with `button` under the message `messageId` and reads its To and Cc. */
async function replyAddresses(page: Page, messageId: string, button: "Reply" | "Reply all") {
  const card = page.locator(`[data-testid="conversation-message"][data-message-id="${messageId}"]`);
  await card.evaluate((details) => ((details as HTMLDetailsElement).open = true));
  await card.getByRole("button", { name: button, exact: true }).click();
  const panel = composer(page);
  await panel.getByLabel("Subject").waitFor();
  await panel.getByTestId("recipient-chip").first().waitFor();
  const found = { to: await addresses(page, "To"), cc: await addresses(page, "Cc") };
  await panel.getByRole("button", { name: "Discard" }).click();
  await panel.waitFor({ state: "detached" });
  return found;
}

test("a reply to one's own message goes to its recipients, from Sent and from a conversation", async () => {
  const sent = await annSends({
    to: [
      { name: "Bob", address: bob.address },
      { name: "Dave", address: "dave@remote.test" },
    ],
    cc: [
      { name: "Carol", address: "carol@remote.test" },
      { name: "", address: "team@mail.test" },
    ],
    subject: "Plans for Friday",
  });
  // Sent only to an alias Ann owns (a note to herself): the reply goes there again.
  const note = await annSends({ to: [{ address: "team@mail.test" }], subject: "Note to self" });
  // Bob answers only Ann: his reply joins the conversation of her Sent copy.
  const answer = await deliverMail(ann.id, {
    from: `Bob <${bob.address}>`,
    to: ann.address,
    subject: "Re: Plans for Friday",
    text: "Count me in",
    inReplyTo: sent.messageIdHeader!,
    references: sent.messageIdHeader!,
  });

  const { page, context } = await openMailPage(browser, web.url, ann.address);
  page.on("dialog", (d) => void d.accept());
  await page
    .getByRole("navigation", { name: "Folders" })
    .getByRole("link", { name: /^Sent/ })
    .click();
  await page.getByRole("heading", { name: "Sent", level: 1 }).waitFor();
  await messageRow(page, "Plans for Friday").click();
  await page.getByRole("heading", { name: "Plans for Friday" }).waitFor();
  const toBobAndDave = [bob.address, "dave@remote.test"];
  assert.deepEqual(await replyAddresses(page, sent.id, "Reply"), { to: toBobAndDave, cc: [] });
  // Reply all adds the Cc, without Ann's own alias.
  assert.deepEqual(await replyAddresses(page, sent.id, "Reply all"), {
    to: toBobAndDave,
    cc: ["carol@remote.test"],
  });
  await messageRow(page, "Note to self").click();
  await page.getByRole("heading", { name: "Note to self" }).waitFor();
  assert.deepEqual(await replyAddresses(page, note.id, "Reply"), {
    to: ["team@mail.test"],
    cc: [],
  });

  // In the conversation of Bob's answer: his message is answered to him,
  // Ann's own message (the copy in that conversation: the Sent one, or the
  // one her alias in Cc brought to her Inbox) to her recipients.
  await page.goto(`/mail?m=${answer.messageId}`);
  await page.getByText("2 messages in this conversation").waitFor();
  const thread = await db.message.findFirstOrThrow({
    where: { accountId: ann.id, id: answer.messageId },
  });
  const mine = await db.message.findFirstOrThrow({
    where: { accountId: ann.id, threadId: thread.threadId, subject: "Plans for Friday" },
  });
  assert.deepEqual(await replyAddresses(page, answer.messageId, "Reply"), {
    to: [bob.address],
    cc: [],
  });
  assert.deepEqual(await replyAddresses(page, mine.id, "Reply all"), {
    to: toBobAndDave,
    cc: ["carol@remote.test"],
  });
  await context.close();
});

test("pasted and typed lists become one chip per address; invalid pieces are shown, not dropped", async () => {
  const { page, context } = await openMailPage(browser, web.url, ann.address);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: web.url });
  await page.getByRole("button", { name: "New message" }).click();
  const panel = composer(page);
  const to = panel.getByRole("combobox", { name: "To", exact: true });

  // As copied from a spreadsheet, an Outlook To line and a signature.
  const pasted = [
    '"Doe, Jane" <jane@remote.test>; "Roe; Rick" <rick@remote.test>',
    "lee@remote.test  kim@remote.test",
    `Bob Builder <${bob.address}>, not an address`,
    "Müller, Hans <hans@remote.test>",
  ].join("\r\n");
  await page.evaluate((text) => navigator.clipboard.writeText(text), pasted);
  await to.click();
  await page.keyboard.press("Control+V");
  await chipsOf(page, "To").nth(6).waitFor();
  assert.deepEqual(await addresses(page, "To"), [
    "jane@remote.test",
    "rick@remote.test",
    "lee@remote.test",
    "kim@remote.test",
    bob.address,
    "!not an address",
    "hans@remote.test",
  ]);
  // What each chip reads (its text before the remove button).
  const labels = await chipsOf(page, "To").evaluateAll((chips) =>
    chips.map((c) => c.firstChild?.textContent ?? ""),
  );
  assert.deepEqual(labels, [
    "Doe, Jane <jane@remote.test>",
    "Roe; Rick <rick@remote.test>",
    "lee@remote.test",
    "kim@remote.test",
    `Bob Builder <${bob.address}>`,
    "not an address",
    "Müller, Hans <hans@remote.test>",
  ]);
  assert.equal(await to.inputValue(), "");

  // Typed key by key: the comma inside the quotes does not end the address.
  await panel.getByRole("button", { name: "Cc/Bcc" }).click();
  const cc = panel.getByRole("combobox", { name: "Cc", exact: true });
  await cc.click();
  await page.keyboard.type('"Smith, Al" <al@remote.test>, carl@remote.test ');
  await page.keyboard.press("Enter");
  assert.deepEqual(await addresses(page, "Cc"), ["al@remote.test", "carl@remote.test"]);

  // Every valid address reaches the message (the invalid one is left out of the draft).
  await panel.getByLabel("Subject").fill("Everyone");
  await panel.getByTestId("draft-status").filter({ hasText: "Draft saved" }).waitFor();
  const draft = await db.message.findFirstOrThrow({
    where: { accountId: ann.id, subject: "Everyone", mailbox: { specialUse: "DRAFTS" } },
    include: { source: true },
  });
  const parsed = await simpleParser(Buffer.from(draft.source.raw));
  const list = (v: typeof parsed.to) =>
    (Array.isArray(v) ? v : v ? [v] : []).flatMap((o) => o.value).map((a) => [a.name, a.address]);
  assert.deepEqual(list(parsed.to), [
    ["Doe, Jane", "jane@remote.test"],
    ["Roe; Rick", "rick@remote.test"],
    ["", "lee@remote.test"],
    ["", "kim@remote.test"],
    ["Bob Builder", bob.address],
    ["Müller, Hans", "hans@remote.test"],
  ]);
  assert.deepEqual(list(parsed.cc), [
    ["Smith, Al", "al@remote.test"],
    ["", "carl@remote.test"],
  ]);
  await context.close();
});
