// Account scoping and request forgery: another account's message, folder,
// frame, source, print view and attachments answer 404 on every route;
// server actions and the flag route given foreign ids change nothing; both
// refuse requests from another origin; live events carry only the account's
// own changes; content routes send their safety headers.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Browser, Request } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { deliverMail, signIn } from "../helpers/mail.ts";
import { interceptServerAction } from "../helpers/admin-access.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { createFolder } = await import("../../lib/store/folders.ts");

const owner = await makeAccount("owner");
const intruder = await makeAccount("intruder");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);

const secret = await deliverMail(owner.id, {
  to: owner.address,
  subject: "Owner's secret",
  html: '<p>secret</p><img src="cid:pic@x">',
  attachments: [
    { filename: "secret.txt", content: "top secret" },
    {
      filename: "pic.png",
      content: Buffer.from("89504e47", "hex"),
      contentType: "image/png",
      cid: "pic@x",
    },
  ],
});
const ownerFolder = await createFolder(owner.id, "Private");
const mine = await deliverMail(intruder.id, {
  to: intruder.address,
  subject: "Intruder's own",
  text: "mine",
});

const context = await newContext(browser, web.url);
const page = await context.newPage();
await signIn(page, intruder.address);

test("every route answers 404 for another account's message or folder", async () => {
  const id = secret.messageId;
  const urls = [
    `/mail?m=${id}`,
    `/mail?folder=${ownerFolder.id}`,
    `/mail?folder=${secret.mailboxId}`,
    `/api/messages/${id}/frame`,
    `/api/messages/${id}/frame?images=1`,
    `/api/messages/${id}/raw`,
    `/api/messages/${id}/raw?download=1`,
    `/api/messages/${id}/print`,
    `/api/messages/${id}/attachments/0`,
    `/api/messages/${id}/attachments/1?inline=1`,
    // Ids that are not ids at all are 404s too, not errors.
    `/mail?m=not-a-uuid`,
    `/api/messages/not-a-uuid/raw`,
    `/api/messages/${id}/attachments/99`,
  ];
  for (const url of urls) {
    const response = await page.request.get(url, { maxRedirects: 0 });
    assert.equal(response.status(), 404, url);
    assert.doesNotMatch(await response.text(), /secret/i, url);
  }
  // The same routes work for the intruder's own message.
  for (const url of [
    `/mail?m=${mine.messageId}`,
    `/api/messages/${mine.messageId}/raw`,
    `/api/messages/${mine.messageId}/print`,
  ]) {
    assert.equal((await page.request.get(url)).status(), 200, url);
  }
});

test("without a session the API routes answer 401 and pages redirect to sign-in", async () => {
  for (const url of [
    "/api/events",
    `/api/messages/${secret.messageId}/frame`,
    `/api/messages/${secret.messageId}/raw`,
    `/api/messages/${secret.messageId}/attachments/0`,
  ]) {
    const response = await fetch(`${web.url}${url}`, { redirect: "manual" });
    assert.equal(response.status, 401, url);
  }
  const response = await fetch(`${web.url}/mail?m=${secret.messageId}`, { redirect: "manual" });
  assert.equal(response.status, 307);
});

test("signed inline-image URLs only open the part they were made for", async () => {
  // The owner's own frame carries a signed URL for the cid: image.
  const ownerContext = await newContext(browser, web.url);
  const ownerPage = await ownerContext.newPage();
  await signIn(ownerPage, owner.address);
  const frame = await ownerPage.request.get(`/api/messages/${secret.messageId}/frame`);
  const src = /src="([^"]+)"/.exec(await frame.text())![1]!.replaceAll("&amp;", "&");
  const match = /^\/api\/messages\/[^/]+\/attachments\/(\d)\?inline=1&a=/.exec(src);
  assert.ok(match, src);
  const other = match[1] === "0" ? "1" : "0";
  await ownerContext.close();
  // It works without any session...
  const ok = await fetch(`${web.url}${src}`);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("content-type"), "image/png");
  // ...but not for another part, another account or with a changed signature.
  const tampered = [
    src.replace(`/attachments/${match[1]}?`, `/attachments/${other}?`),
    src.replace(`a=${owner.id}`, `a=${intruder.id}`),
    src.replace(/sig=([^&]+)/, "sig=AAAA$1"),
    src.replace(/exp=\d+/, "exp=9999999999"),
  ];
  for (const url of tampered) assert.equal((await fetch(`${web.url}${url}`)).status, 401, url);
});

/** Captures the next server-action request the page makes. */
/** The next server action or flag-route request the page sends. */
function nextMailRequest(): Promise<Request> {
  return page.waitForRequest(
    (r) =>
      r.method() === "POST" &&
      (r.headers()["next-action"] !== undefined ||
        new URL(r.url()).pathname === "/api/messages/flags"),
  );
}

async function replay(request: Request, body: string, headers: Record<string, string> = {}) {
  const sent = await request.allHeaders();
  const keep = Object.fromEntries(
    Object.entries(sent).filter(
      ([k]) => k.startsWith("next-") || k === "content-type" || k === "accept" || k === "origin",
    ),
  );
  return page.request.post(request.url(), {
    headers: { ...keep, ...headers },
    data: body,
    maxRedirects: 0,
  });
}

test("server actions and the flag route given another account's ids change nothing", async () => {
  await page.goto("/mail");
  const row = page.getByTestId("message-row").filter({ hasText: "Intruder's own" });
  const actions: [string, () => Promise<void>][] = [
    ["flag", () => row.getByRole("button", { name: /^Flag/ }).click()],
    [
      "mark read",
      async () => {
        await row.getByRole("checkbox").check();
        await page.getByRole("toolbar").getByRole("button", { name: "Mark read" }).click();
      },
    ],
    ["archive", () => page.getByRole("toolbar").getByRole("button", { name: "Archive" }).click()],
  ];
  const before = await db.message.findFirstOrThrow({
    where: { accountId: owner.id, id: secret.messageId },
  });
  for (const [name, act] of actions) {
    const captured = nextMailRequest();
    await act();
    const request = await captured;
    const body = request.postData() ?? "";
    assert.ok(body.includes(mine.messageId), `${name} sends the message id`);
    const response = await replay(request, body.replaceAll(mine.messageId, secret.messageId));
    // A server action answers 200 with its error; the flag route answers 404.
    const route = new URL(request.url()).pathname === "/api/messages/flags";
    assert.equal(response.status(), route ? 404 : 200, name);
    assert.match(await response.text(), /No such message/, name);
  }
  // The move action with the owner's folder as target is refused too.
  await page.goto(
    "/mail?folder=" +
      (
        await db.mailbox.findFirstOrThrow({
          where: { accountId: intruder.id, specialUse: "ARCHIVE" },
        })
      ).id,
  );
  const moved = page.getByTestId("message-row").filter({ hasText: "Intruder's own" });
  await moved.getByRole("checkbox").check();
  const captured = nextMailRequest();
  await page.getByRole("toolbar").getByLabel("Move to folder").selectOption({ label: "Inbox" });
  const request = await captured;
  const inbox = await db.mailbox.findFirstOrThrow({
    where: { accountId: intruder.id, specialUse: "INBOX" },
  });
  const response = await replay(
    request,
    (request.postData() ?? "").replaceAll(inbox.id, ownerFolder.id),
  );
  assert.match(await response.text(), /No such folder/);
  const after = await db.message.findFirstOrThrow({
    where: { accountId: owner.id, id: secret.messageId },
  });
  assert.deepEqual(after, before);
  assert.equal(
    (await db.mailbox.findFirstOrThrow({ where: { id: ownerFolder.id } })).messageCount,
    0,
  );
});

test("the flag route refuses requests from another origin and bad input (CSRF)", async () => {
  await page.goto("/mail");
  const row = page.getByTestId("message-row").filter({ hasText: "Intruder's own" });
  await row.waitFor();
  const captured = nextMailRequest();
  await row.getByRole("button", { name: /^(Un)?[Ff]lag/ }).click();
  const request = await captured;
  await page
    .getByRole("status")
    .filter({ hasText: /flagged/ })
    .waitFor();
  const flaggedBefore = (await db.message.findFirstOrThrow({ where: { id: mine.messageId } }))
    .flagged;
  // Replaying the same (valid) request with a foreign Origin must not toggle it back.
  const body = (request.postData() ?? "").replace(String(flaggedBefore), String(!flaggedBefore));
  const response = await replay(request, body, { origin: "http://evil.example" });
  assert.equal(response.status(), 403);
  // A form-encoded post (what a foreign HTML form can send without a preflight) is refused too.
  const form = await replay(request, body, { "content-type": "text/plain" });
  assert.equal(form.status(), 400);
  for (const bad of ["{", JSON.stringify({ ids: [mine.messageId] }), JSON.stringify({ ids: [] })]) {
    const answer = await replay(request, bad);
    assert.equal(answer.status(), 400, bad);
    assert.match(await answer.text(), /not valid/, bad);
  }
  assert.equal(
    (await db.message.findFirstOrThrow({ where: { id: mine.messageId } })).flagged,
    flaggedBefore,
  );
  // The same replay from our own origin does work, so the refusal was the Origin's doing.
  const same = await replay(request, body);
  assert.equal(same.status(), 200);
  assert.deepEqual(await same.json(), { count: 1 });
  assert.equal(
    (await db.message.findFirstOrThrow({ where: { id: mine.messageId } })).flagged,
    !flaggedBefore,
  );
  const anonymous = await fetch(`${web.url}/api/messages/flags`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  assert.equal(anonymous.status, 401);
});

test("a server action posted from another origin is refused (CSRF)", async () => {
  await page.goto("/mail");
  const nav = page.getByRole("navigation", { name: "Folders" });
  // Capture the create-folder action without letting it through.
  const request = await interceptServerAction(page, async () => {
    await nav.getByRole("button", { name: "New folder" }).click();
    await nav.getByLabel("Folder name").fill("Forged");
    await nav.getByRole("button", { name: "Create" }).click();
  });
  const body = request.postData() ?? "";
  const folders = () => db.mailbox.count({ where: { accountId: intruder.id, name: "Forged" } });
  const response = await replay(request, body, { origin: "http://evil.example" });
  assert.ok(response.status() >= 400, `answered ${response.status()}`);
  assert.equal(await folders(), 0);
  // From our own origin the same request creates the folder.
  const same = await replay(request, body);
  assert.equal(same.status(), 200);
  assert.equal(await folders(), 1);
});

test("live events carry only the signed-in account's changes", async () => {
  const cookies = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const controller = new AbortController();
  const response = await fetch(`${web.url}/api/events`, {
    headers: { cookie: cookies },
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  const reader = response.body!.getReader();
  let text = "";
  // One read stays pending across the polls: starting a new read() after a
  // poll timed out would leave the old one to swallow the next chunk.
  let pending: ReturnType<typeof reader.read> | null = null;
  const readUntil = async (pattern: RegExp) => {
    const deadline = Date.now() + 20_000;
    while (!pattern.test(text) && Date.now() < deadline) {
      pending ??= reader.read();
      const result = await Promise.race([
        pending,
        new Promise<null>((r) => setTimeout(() => r(null), 200)),
      ]);
      if (result === null) continue;
      pending = null;
      if (result.done) break;
      text += new TextDecoder().decode(result.value);
    }
  };
  await readUntil(/event: ready/);
  await deliverMail(owner.id, { to: owner.address, subject: "For the owner only", text: "x" });
  const ownerInbox = await db.mailbox.findFirstOrThrow({
    where: { accountId: owner.id, specialUse: "INBOX" },
  });
  const intruderInbox = await db.mailbox.findFirstOrThrow({
    where: { accountId: intruder.id, specialUse: "INBOX" },
  });
  await deliverMail(intruder.id, { to: intruder.address, subject: "For the intruder", text: "x" });
  await readUntil(/event: change/);
  controller.abort();
  assert.match(text, new RegExp(`"mailboxId":"${intruderInbox.id}","kind":"new"`));
  assert.doesNotMatch(text, new RegExp(ownerInbox.id));
});

test("content routes send their safety headers", async () => {
  const htmlMessage = await deliverMail(intruder.id, {
    to: intruder.address,
    subject: "Headers",
    html: "<p>x</p>",
  });
  const frame = await page.request.get(`/api/messages/${htmlMessage.messageId}/frame`);
  const csp = frame.headers()["content-security-policy"] ?? "";
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /style-src 'unsafe-inline'/);
  assert.match(csp, /img-src data: 'self' http:\/\/127\.0\.0\.1:\d+(;|$)/);
  assert.match(csp, /frame-ancestors 'self'/);
  assert.match(csp, /sandbox allow-popups allow-popups-to-escape-sandbox(;|$)/);
  assert.doesNotMatch(csp, /allow-scripts|allow-same-origin/);
  assert.equal(frame.headers()["x-content-type-options"], "nosniff");
  assert.equal(frame.headers()["referrer-policy"], "no-referrer");
  const allowed = await page.request.get(`/api/messages/${htmlMessage.messageId}/frame?images=1`);
  assert.match(
    allowed.headers()["content-security-policy"] ?? "",
    /img-src data: 'self' \S+ http: https:/,
  );

  const raw = await page.request.get(`/api/messages/${htmlMessage.messageId}/raw`);
  assert.equal(raw.headers()["content-type"], "text/plain; charset=utf-8");
  assert.equal(raw.headers()["x-content-type-options"], "nosniff");
  assert.match(raw.headers()["content-security-policy"] ?? "", /^sandbox/);
});
