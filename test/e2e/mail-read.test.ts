// The webmail in Chromium against the production build: live arrival, the
// reading pane (conversation, attachments, inline and remote images, view
// original, print), preview lines, search operators, accessibility, narrow
// screens and dark mode. Actions, shortcuts and folders: mail-organise.test.ts.
import assert from "node:assert/strict";
import http from "node:http";
import { test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import {
  buildMail,
  deliverMail,
  loadedImageWidth,
  PNG,
  seriousAxeViolations,
  signIn,
  waitForLive,
} from "../helpers/mail.ts";
import { startTestGateway } from "../helpers/smtp-harness.ts";
import { connectNodemailer } from "../helpers/smtp-clients.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { moveMessagesToSpecial } = await import("../../lib/store/move-messages.ts");
const { updateMailLayout } = await import("../../lib/accounts/user-settings.ts");

await makeAccount("setup");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
// The real inbound path: mail for the live test arrives over SMTP.
const gateway = await startTestGateway({ relay: false, submissionPort: null });

// Stands in for a tracking-pixel host. It is on loopback (nothing here may
// reach the internet) but on another port, so it is another origin.
const remoteHits: string[] = [];
const remote = http.createServer((req, res) => {
  remoteHits.push(req.url ?? "");
  res.writeHead(200, { "content-type": "image/png" });
  res.end(PNG);
});
await new Promise<void>((resolve) => remote.listen(0, "127.0.0.1", resolve));
const remoteUrl = `http://127.0.0.1:${(remote.address() as { port: number }).port}`;
test.after(() => new Promise<void>((resolve) => remote.close(() => resolve())));

async function openMail(localPart: string, options: Parameters<typeof newContext>[2] = {}) {
  const account = await makeAccount(localPart);
  const context = await newContext(browser, web.url, options);
  const page = await context.newPage();
  await signIn(page, account.address);
  return { account, page, context };
}

const row = (page: Page, subject: string) =>
  page.getByTestId("message-row").filter({ hasText: subject });
const folderLink = (page: Page, name: string) =>
  page
    .getByRole("navigation", { name: "Folders" })
    .getByRole("link", { name: new RegExp(`^${name}`) });

test("new mail appears live, with the unread count in the folder list and the tab title", async () => {
  const { account, page, context } = await openMail("live");
  await page.getByRole("heading", { name: "Inbox" }).waitFor();
  await page.getByText("Inbox is empty.").waitFor();
  await waitForLive(page);

  const smtp = await connectNodemailer(gateway.smtpPort);
  const sent = await smtp.send(
    { from: "alice@example.org", to: [account.address] },
    await buildMail({ to: account.address, subject: "Arrives while you look", text: "Hello live" }),
  );
  smtp.close();
  assert.deepEqual(sent.accepted, [account.address]);
  await row(page, "Arrives while you look").waitFor();
  assert.match((await row(page, "Arrives while you look").getAttribute("class")) ?? "", /unread/);
  await folderLink(page, "Inbox").filter({ hasText: "1" }).waitFor();
  await page.waitForFunction(() => document.title.startsWith("(1) Inbox"));

  await deliverMail(account.id, {
    to: account.address,
    subject: "A second one",
    text: "Hello again",
  });
  await row(page, "A second one").waitFor();
  await page.waitForFunction(() => document.title.startsWith("(2) Inbox"));
  // Newest first.
  const subjects = await page.locator(".row-subject").allInnerTexts();
  assert.deepEqual(subjects, ["A second one", "Arrives while you look"]);
  await context.close();
});

test("opening a message shows its headers, text and attachments, and marks it read", async () => {
  const { account, page, context } = await openMail("reader");
  const pdf = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
  const { messageId } = await deliverMail(account.id, {
    from: "Bob Builder <bob@example.org>",
    to: `Reader <${account.address}>`,
    cc: "carol@example.org",
    subject: "Quarterly figures <b>not bold</b>",
    text: "Line one\nLine <script>two</script>",
    attachments: [
      { filename: "report.pdf", content: pdf, contentType: "application/pdf" },
      { filename: "photo.png", content: PNG, contentType: "image/png" },
      { filename: "page.html", content: "<script>alert(1)</script>", contentType: "text/html" },
    ],
  });
  await page.reload();
  await row(page, "Quarterly figures").click();
  await page.waitForURL(new RegExp(`m=${messageId}`));
  const pane = page.getByRole("region", { name: "Reading pane" });
  // Subjects and bodies are text: the markup shows as typed.
  await pane.getByRole("heading", { name: "Quarterly figures <b>not bold</b>" }).waitFor();
  assert.equal(
    await pane.getByTestId("message-text").innerText(),
    "Line one\nLine <script>two</script>",
  );
  await pane.getByText("Bob Builder <bob@example.org>").waitFor();
  await pane.getByText("carol@example.org").waitFor();
  assert.equal(await pane.getByTestId("attachment").count(), 3);
  await pane
    .getByTestId("attachment")
    .filter({ hasText: "report.pdf" })
    .getByRole("link", { name: /Preview/ })
    .waitFor();
  // Only images and PDF get a preview; an HTML attachment is download-only.
  assert.equal(
    await pane
      .getByTestId("attachment")
      .filter({ hasText: "page.html" })
      .getByRole("link", { name: /Preview/ })
      .count(),
    0,
  );
  const thumb = pane.getByTestId("attachment").filter({ hasText: "photo.png" }).locator("img");
  await page.waitForFunction(
    (img) => (img as HTMLImageElement).naturalWidth === 1,
    await thumb.elementHandle(),
  );

  const download = await page.request.get(`/api/messages/${messageId}/attachments/0`);
  assert.equal(download.status(), 200);
  assert.match(
    download.headers()["content-disposition"] ?? "",
    /^attachment; filename="report.pdf"/,
  );
  assert.equal(download.headers()["x-content-type-options"], "nosniff");
  assert.deepEqual(Buffer.from(await download.body()), pdf);
  const html = await page.request.get(`/api/messages/${messageId}/attachments/2?inline=1`);
  assert.match(
    html.headers()["content-disposition"] ?? "",
    /^attachment;/,
    "HTML is never served inline",
  );
  assert.match(html.headers()["content-security-policy"] ?? "", /sandbox/);
  assert.notEqual(html.headers()["content-type"], "text/html");

  // Marked read: no longer bold, no unread count.
  await page.waitForFunction(() => !document.querySelector('[data-testid="message-row"].unread'));
  assert.equal(await folderLink(page, "Inbox").locator(".count").count(), 0);
  const stored = await db.message.findFirstOrThrow({
    where: { accountId: account.id, id: messageId },
  });
  assert.equal(stored.seen, true);
  await context.close();
});

test("view original shows the raw source and print opens a print view", async () => {
  const { account, page, context } = await openMail("original");
  const { messageId } = await deliverMail(account.id, {
    to: account.address,
    subject: "Source please",
    text: "Body text",
    messageId: "<source-please@example.org>",
  });
  await page.goto(`/mail?m=${messageId}`);
  const [popup] = await Promise.all([
    page.waitForEvent("popup"),
    page.getByRole("link", { name: "View original" }).click(),
  ]);
  await popup.waitForLoadState();
  const source = await popup.locator("body").innerText();
  assert.match(source, /Message-ID: <source-please@example.org>/i);
  assert.match(source, /Subject: Source please/);

  const print = await page.request.get(`/api/messages/${messageId}/print`);
  assert.equal(print.status(), 200);
  const body = await print.text();
  assert.match(body, /<h1>Source please<\/h1>/);
  assert.match(body, /window\.print\(\)/);
  assert.match(print.headers()["content-security-policy"] ?? "", /script-src 'sha256-/);
  assert.match(print.headers()["content-security-policy"] ?? "", /sandbox/);
  await context.close();
});

test("conversation view shows the thread with the user's reply from Sent, newest expanded", async () => {
  const { account, page, context } = await openMail("threads");
  const t0 = Date.now() - 3 * 60_000;
  await deliverMail(
    account.id,
    {
      from: "Alice <alice@example.org>",
      to: account.address,
      subject: "Lunch?",
      text: "Shall we have lunch?",
      messageId: "<lunch-1@example.org>",
    },
    new Date(t0),
  );
  const reply = await deliverMail(
    account.id,
    {
      from: `Threads <${account.address}>`,
      to: "alice@example.org",
      subject: "Re: Lunch?",
      text: "Yes, at noon.",
      messageId: "<lunch-2@mail.test>",
      inReplyTo: "<lunch-1@example.org>",
      references: "<lunch-1@example.org>",
    },
    new Date(t0 + 60_000),
  );
  // The composer will file sent mail itself; until then the copy is moved there.
  await moveMessagesToSpecial(account.id, [reply.messageId], "SENT");
  const last = await deliverMail(
    account.id,
    {
      from: "Alice <alice@example.org>",
      to: account.address,
      subject: "Re: Lunch?",
      text: "Great, see you.",
      messageId: "<lunch-3@example.org>",
      inReplyTo: "<lunch-2@mail.test>",
      references: "<lunch-1@example.org> <lunch-2@mail.test>",
    },
    new Date(t0 + 120_000),
  );
  await page.goto(`/mail?m=${last.messageId}`);
  const cards = page.getByTestId("conversation-message");
  await page.getByText("3 messages in this conversation").waitFor();
  assert.equal(await cards.count(), 3);
  assert.deepEqual(
    await cards.evaluateAll((nodes) => nodes.map((n) => (n as HTMLDetailsElement).open)),
    [false, false, true],
  );
  await cards.nth(1).locator(".folder-tag", { hasText: "Sent" }).waitFor();
  await cards.nth(1).locator("summary").click();
  await cards.nth(1).getByTestId("message-text").getByText("Yes, at noon.").waitFor();
  await context.close();
});

test("an HTML mail's preview line is its readable text: list, search results, collapsed conversation rows", async () => {
  const { account, page, context } = await openMail("previews");
  // A row per message: the newsletter's own row is the one under test.
  await updateMailLayout(account.id, {
    readingPane: "right",
    density: "comfortable",
    conversations: false,
  });
  const t0 = Date.now() - 2 * 60_000;
  await deliverMail(
    account.id,
    {
      from: "Shop <news@shop.example>",
      to: account.address,
      subject: "Spring sale",
      messageId: "<sale-1@shop.example>",
      // As newsletters come: tracked links around images, a tracking pixel,
      // a text alternative of bare tracking URLs.
      text: "View online: http://tracker.example/v?u=1\n[http://img.example/logo.png]",
      html:
        '<a href="http://tracker.example/c?u=1"><img src="http://img.example/logo.png" alt="Shop"></a>' +
        '<h1>Spring sale</h1><p>Everything <a href="http://tracker.example/c?u=2">half price</a> ' +
        'until Sunday.<img src="http://tracker.example/open.gif" width="1" height="1"></p>',
    },
    new Date(t0),
  );
  await deliverMail(
    account.id,
    {
      from: "Shop <news@shop.example>",
      to: account.address,
      subject: "Re: Spring sale",
      text: "Last day today.",
      inReplyTo: "<sale-1@shop.example>",
      references: "<sale-1@shop.example>",
    },
    new Date(t0 + 60_000),
  );
  const readable = "Spring sale Everything half price until Sunday.";
  const newsletter = row(page, "Spring sale").filter({ hasNotText: "Re: Spring sale" });
  await page.reload();
  assert.equal(await newsletter.locator(".row-snippet").textContent(), readable);

  await page.goto(`/mail?q=${encodeURIComponent("spring sale")}`);
  await page.getByRole("heading", { name: "Search results" }).waitFor();
  assert.equal(await newsletter.locator(".row-snippet").textContent(), readable);

  // The conversation of the answer: the newsletter, collapsed, shows its
  // preview line, and hides it once opened; the answer, shown open, has none.
  await row(page, "Re: Spring sale").click();
  await page.getByText("2 messages in this conversation").waitFor();
  const cards = page.getByTestId("conversation-message");
  const preview = cards.nth(0).getByTestId("card-snippet");
  assert.equal(await preview.textContent(), readable);
  assert.ok(await preview.isVisible(), "shown while collapsed");
  assert.equal(await cards.nth(1).getByTestId("card-snippet").count(), 0);
  await cards.nth(0).locator("summary").click();
  await preview.waitFor({ state: "hidden" });
  await context.close();
});

test("HTML mail: sandboxed frame, cid images shown, remote images only after Show images", async () => {
  const { account, page, context } = await openMail("html");
  const sender = "News <news@example.org>";
  const { messageId } = await deliverMail(account.id, {
    from: sender,
    to: account.address,
    subject: "Newsletter",
    html: `<h1 id="headline">Big news</h1><img id="logo" src="cid:logo@example.org" alt="logo"><img id="pixel" src="${remoteUrl}/pixel-1.png" alt=""><a id="out" href="https://example.org/read">Read</a>`,
    attachments: [
      { filename: "logo.png", content: PNG, contentType: "image/png", cid: "logo@example.org" },
    ],
  });
  await page.goto(`/mail?m=${messageId}`);
  const frameElement = page.getByTestId("message-frame");
  assert.equal(
    await frameElement.getAttribute("sandbox"),
    "allow-popups allow-popups-to-escape-sandbox",
  );
  const frame = page.frameLocator('[data-testid="message-frame"]');
  await frame.locator("#headline").waitFor();
  assert.equal(await frame.locator("#out").getAttribute("target"), "_blank");
  assert.equal(await frame.locator("#out").getAttribute("rel"), "noopener noreferrer");
  assert.equal(await loadedImageWidth(page, frame, "#logo"), 1, "the cid: image is shown");
  // The inline part only lists in the body, not as an attachment.
  assert.equal(await page.getByTestId("attachment").count(), 0);
  assert.deepEqual([...remoteHits], [], "no remote load before Show images");

  await page.getByRole("button", { name: "Show images" }).click();
  for (let i = 0; i < 50 && remoteHits.length === 0; i++) await page.waitForTimeout(100);
  assert.deepEqual([...remoteHits], ["/pixel-1.png"]);

  // "Always show from this sender" applies to their next message without asking.
  const second = await deliverMail(account.id, {
    from: sender,
    to: account.address,
    subject: "Newsletter 2",
    html: `<p>Again</p><img src="${remoteUrl}/pixel-2.png" alt="">`,
  });
  await page.goto(`/mail?m=${second.messageId}`);
  await page.getByRole("button", { name: "Always show from this sender" }).click();
  await page.getByText("Images from news@example.org will always be shown.").waitFor();
  const third = await deliverMail(account.id, {
    from: sender,
    to: account.address,
    subject: "Newsletter 3",
    html: `<p>Third</p><img src="${remoteUrl}/pixel-3.png" alt="">`,
  });
  await page.goto(`/mail?m=${third.messageId}`);
  for (let i = 0; i < 50 && !remoteHits.includes("/pixel-3.png"); i++)
    await page.waitForTimeout(100);
  assert.ok(remoteHits.includes("/pixel-3.png"));
  assert.equal(await page.getByRole("button", { name: "Show images" }).count(), 0);
  await context.close();
});

test("search operators find what they say, alone and combined", async () => {
  const { account, page, context } = await openMail("finder");
  const day = (d: string) => new Date(`${d}T12:00:00Z`);
  const mails = [
    {
      from: "Alice <alice@example.org>",
      subject: "Invoice March",
      text: "Please pay the invoice",
      date: "2025-03-10",
      attach: true,
    },
    {
      from: "Bob <bob@example.net>",
      subject: "Holiday photos",
      text: "Pictures from the beach",
      date: "2025-05-02",
      attach: true,
    },
    {
      from: "Carol <carol@example.com>",
      subject: "Meeting notes",
      text: "The quarterly report is attached below",
      date: "2025-06-20",
      attach: false,
    },
    {
      from: "Alice <alice@example.org>",
      subject: "Lunch",
      text: "Sandwiches at noon",
      date: "2025-07-01",
      attach: false,
    },
  ];
  const ids: Record<string, string> = {};
  for (const m of mails) {
    const copy = await deliverMail(
      account.id,
      {
        from: m.from,
        to: m.from.startsWith("Bob") ? "Dave <dave@example.org>" : account.address,
        subject: m.subject,
        text: m.text,
        attachments: m.attach ? [{ filename: `${m.subject}.txt`, content: "x" }] : undefined,
      },
      day(m.date),
    );
    ids[m.subject] = copy.messageId;
  }
  await db.message.update({
    where: { accountId_id: { accountId: account.id, id: ids["Lunch"]! } },
    data: { flagged: true },
  });
  await db.message.update({
    where: { accountId_id: { accountId: account.id, id: ids["Meeting notes"]! } },
    data: { seen: true },
  });
  await moveMessagesToSpecial(account.id, [ids["Holiday photos"]!], "ARCHIVE");

  const search = async (q: string) => {
    await page.getByLabel("Search mail").fill(q);
    await page.getByLabel("Search mail").press("Enter");
    await page.waitForURL((url) => url.searchParams.get("q") === q);
    await page.getByRole("heading", { name: "Search results" }).waitFor();
    await page.waitForLoadState("networkidle");
    return (await page.locator(".row-subject").allInnerTexts()).sort();
  };
  assert.deepEqual(await search("invoice"), ["Invoice March"]);
  assert.deepEqual(await search("quarterly report"), ["Meeting notes"]);
  assert.deepEqual(await search('"report is attached"'), ["Meeting notes"]);
  assert.deepEqual(await search("from:alice"), ["Invoice March", "Lunch"]);
  assert.deepEqual(await search("from:alice -invoice"), ["Lunch"]);
  assert.deepEqual(await search("to:dave"), ["Holiday photos"]);
  assert.deepEqual(await search("subject:meeting"), ["Meeting notes"]);
  assert.deepEqual(await search("has:attachment"), ["Holiday photos", "Invoice March"]);
  assert.deepEqual(await search("is:unread has:attachment from:alice"), ["Invoice March"]);
  assert.deepEqual(await search("is:flagged"), ["Lunch"]);
  assert.deepEqual(await search("in:archive"), ["Holiday photos"]);
  assert.deepEqual(await search("in:inbox has:attachment"), ["Invoice March"]);
  assert.deepEqual(await search("before:2025-05-01"), ["Invoice March"]);
  assert.deepEqual(await search("after:2025/06/01 before:2025-07-01"), ["Meeting notes"]);
  assert.deepEqual(await search("nothing-like-this"), []);
  await page.getByText("No messages match your search.").waitFor();
  await search("in:nowhere");
  await page.getByText("There is no folder named “nowhere”.").waitFor();

  assert.deepEqual(await seriousAxeViolations(page), [], "search page");
  await context.close();
});

test("axe-core finds no serious or critical problems on the inbox, message and search pages", async () => {
  for (const scheme of ["light", "dark"] as const) {
    const { account, page, context } = await openMail(`axe-${scheme}`, { colorScheme: scheme });
    const { messageId } = await deliverMail(account.id, {
      to: account.address,
      subject: "Accessible",
      text: "Plain words",
      attachments: [{ filename: "a.png", content: PNG, contentType: "image/png" }],
    });
    await deliverMail(account.id, {
      to: account.address,
      subject: "Rich",
      html: "<p>Rich <b>words</b></p>",
    });
    await page.reload();
    await row(page, "Accessible").waitFor();
    assert.deepEqual(await seriousAxeViolations(page), [], `inbox (${scheme})`);
    await page.goto(`/mail?m=${messageId}`);
    await page.getByRole("heading", { name: "Accessible" }).waitFor();
    assert.deepEqual(await seriousAxeViolations(page), [], `message (${scheme})`);
    await page.goto(`/mail?q=${encodeURIComponent("words has:attachment")}`);
    await row(page, "Accessible").waitFor();
    assert.deepEqual(await seriousAxeViolations(page), [], `search (${scheme})`);
    await page.goto(`/mail?m=${messageId}`);
    await page.getByRole("heading", { name: "Accessible" }).waitFor();
    await page.keyboard.press("?");
    await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
    assert.deepEqual(await seriousAxeViolations(page), [], `shortcut help (${scheme})`);
    await context.close();
  }
});

test("dark mode follows the system setting", async () => {
  const colours: Record<string, string> = {};
  for (const scheme of ["light", "dark"] as const) {
    const { page, context } = await openMail(`scheme-${scheme}`, { colorScheme: scheme });
    colours[scheme] = await page.evaluate(
      () => getComputedStyle(document.querySelector(".list-pane")!).backgroundColor,
    );
    await context.close();
  }
  assert.equal(colours.light, "rgb(255, 255, 255)");
  assert.equal(colours.dark, "rgb(31, 34, 40)");
});

test("a narrow screen shows one pane at a time", async () => {
  const { account, page, context } = await openMail("phone", {
    viewport: { width: 390, height: 800 },
    isMobile: true,
    hasTouch: true,
  });
  await deliverMail(account.id, {
    to: account.address,
    subject: "On the go",
    text: "Small screen",
  });
  await page.reload();
  const list = page.getByRole("region", { name: "Inbox" });
  const reading = page.getByRole("region", { name: "Reading pane" });
  const folders = page.getByRole("navigation", { name: "Folders" });
  assert.ok(await list.isVisible());
  assert.ok(!(await reading.isVisible()));
  assert.ok(!(await folders.isVisible()));

  await row(page, "On the go").locator(".row-link").click();
  await reading.getByText("Small screen").waitFor();
  assert.ok(!(await list.isVisible()));
  await page.getByRole("button", { name: /Back to Inbox/ }).click();
  await list.waitFor();
  assert.ok(!(await reading.isVisible()));

  await page.getByRole("button", { name: "Folders" }).click();
  await folders.waitFor();
  await folderLink(page, "Archive").click();
  await page.getByRole("heading", { name: "Archive" }).waitFor();
  assert.ok(!(await folders.isVisible()));
  await context.close();
});
