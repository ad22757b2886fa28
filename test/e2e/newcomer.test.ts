// What a newcomer does first, on the production start path: `npm start`
// with .env.example as written (listening on 0.0.0.0, no PUBLIC_URL,
// NEXTAUTH_URL or NEXTAUTH_SECRET, TRUST_PROXY=false; only the ports and the
// data folder differ), then Chromium at the banner's URL: sign up, get mail
// over SMTP, mark it read and unread, flag it, attach a file and send. The
// same at http://127.0.0.1:port and at the machine's LAN address, where
// sign-out must stay too; another site's page and a foreign Origin are
// refused; next-auth's redirects never leave the site.
import assert from "node:assert/strict";
import http from "node:http";
import { networkInterfaces } from "node:os";
import { test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { TEST_PASSWORD } from "../helpers/accounts.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { composer, messageRow } from "../helpers/compose.ts";
import { buildMail, signIn, waitForLive } from "../helpers/mail.ts";
import { getFreePort } from "../helpers/net.ts";
import { newcomerEnv, startService } from "../helpers/start-process.ts";
import { connectNodemailer } from "../helpers/smtp-clients.ts";

const { env, ports } = await newcomerEnv();
const [service, browser] = await Promise.all([startService(env), launchBrowser()]);
const webPort = ports.WEB_PORT!;
const address = "newbie@mail.test";
// A LAN address of this machine, if it has one: the server listens there too.
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

/** Mail from outside, through the gateway's MX port as any peer sends it. */
async function receive(subject: string): Promise<void> {
  const smtp = await connectNodemailer(ports.SMTP_PORT!);
  try {
    const raw = await buildMail({ from: "Alice <alice@example.org>", to: address, subject });
    const sent = await smtp.send({ from: "alice@example.org", to: [address] }, raw);
    assert.deepEqual(sent.accepted, [address]);
  } finally {
    smtp.close();
  }
}

const toolbar = (page: Page) => page.getByRole("toolbar", { name: "Message actions" });

/** Runs `act` and returns the status of the flag change it made. */
async function flagChangeStatus(page: Page, act: () => Promise<void>): Promise<number> {
  const answered = page.waitForResponse(
    (r) => new URL(r.url()).pathname === "/api/messages/flags" && r.request().method() === "POST",
  );
  await act();
  return (await answered).status();
}

/**
 * Mail arrives live; opening it marks it read, then unread again from the
 * toolbar, then it is flagged: each change answered 200 and still there
 * after a reload. Then a message with an attachment uploaded in the composer
 * is sent to oneself and arrives. Returns the received message's id.
 */
async function coreActions(page: Page, label: string): Promise<string> {
  const subject = `Hello at ${label}`;
  await receive(subject);
  const row = messageRow(page, subject);
  await row.waitFor({ timeout: 30_000 });
  assert.match((await row.getAttribute("class")) ?? "", /unread/);
  const id = (await row.getAttribute("data-message-id")) ?? "";

  assert.equal(await flagChangeStatus(page, () => row.click()), 200, "opening marks it read");
  await page.getByRole("heading", { name: subject, level: 2 }).waitFor();
  await page.waitForFunction((s) => {
    const rows = [...document.querySelectorAll('[data-testid="message-row"]')];
    return rows.some((r) => r.textContent?.includes(s) && !r.classList.contains("unread"));
  }, subject);
  await row.getByRole("checkbox").check();
  const unread = () => toolbar(page).getByRole("button", { name: "Mark unread" }).click();
  assert.equal(await flagChangeStatus(page, unread), 200, "mark unread");
  await row.getByRole("checkbox").uncheck();
  const flag = () => row.getByRole("button", { name: `Flag: ${subject}` }).click();
  assert.equal(await flagChangeStatus(page, flag), 200, "flag");

  await page.reload();
  await row.getByRole("button", { name: `Unflag: ${subject}` }).waitFor();
  assert.match((await row.getAttribute("class")) ?? "", /unread/, "unread after a reload");
  await waitForLive(page);

  const sentSubject = `Files from ${label}`;
  await page.keyboard.press("c");
  const panel = composer(page);
  await panel.waitFor();
  const to = panel.getByRole("combobox", { name: "To" });
  await to.fill(address);
  await to.press("Enter");
  await panel.getByLabel("Subject").fill(sentSubject);
  await panel.getByRole("textbox", { name: "Message body" }).click();
  await page.keyboard.type("The notes are attached.");
  const uploaded = page.waitForResponse(
    (r) => new URL(r.url()).pathname === "/api/compose/uploads",
  );
  await panel
    .getByTestId("attach-input")
    .setInputFiles([{ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("notes\n") }]);
  assert.equal((await uploaded).status(), 201, "attachment upload");
  await panel.locator('[data-testid="compose-attachment"][data-state="done"]').waitFor();
  await panel.getByRole("button", { name: "Send" }).click();
  await panel.waitFor({ state: "detached" });
  // Delivered to oneself once the undo window (.env.example: 10 s) is over.
  await messageRow(page, sentSubject).waitFor({ timeout: 60_000 });
  return id;
}

/** A signed-in page at `origin`, live. */
async function signedIn(origin: string): Promise<{ page: Page; context: BrowserContext }> {
  const context = await newContext(browser, origin);
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  await signIn(page, address);
  await page.getByRole("heading", { name: "Inbox" }).waitFor();
  await waitForLive(page);
  return { page, context };
}

let home: { page: Page; context: BrowserContext; messageId: string } | undefined;

test("the banner shows localhost; signing up there lands signed in on the Inbox", async () => {
  assert.equal(service.url, `http://localhost:${webPort}`);
  const context = await newContext(browser, service.url);
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  await page.goto("/signup");
  await page.getByLabel("Your name").fill("New Bie");
  await page.getByLabel("Address").fill("newbie");
  await page.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
  await page.getByLabel("Confirm password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${service.url}/mail`);
  await page.getByRole("heading", { name: "Inbox" }).waitFor();
  assert.match(await page.getByTestId("signed-in-as").innerText(), /newbie@mail\.test/);
  await waitForLive(page);
  home = { page, context, messageId: await coreActions(page, "localhost") };
});

for (const [label, host] of [
  ["127.0.0.1", "127.0.0.1"],
  ["a LAN address", lanAddress],
] as const) {
  test(
    `at ${label} everything works, and sign-out stays there`,
    { skip: host ? false : "this machine has no LAN IPv4 address" },
    async () => {
      const origin = `http://${host}:${webPort}`;
      const { page, context } = await signedIn(origin);
      await coreActions(page, host!);
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(/\/login$/);
      assert.equal(page.url(), `${origin}/login`);
      await context.close();
    },
  );
}

/** A page of another origin on the same machine (same site as localhost: it gets the cookie). */
async function startOtherSite(html: string): Promise<string> {
  const port = await getFreePort();
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  test.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://localhost:${port}/`;
}

test("another site's page cannot change flags or upload; a foreign Origin is refused", async () => {
  assert.ok(home, "the signup test ran");
  const { context, messageId } = home;
  const target = `${service.url}/api/messages/flags`;
  const change = JSON.stringify({ ids: [messageId], flagged: false });
  // What an attacker's page can send with the user's cookie: a no-cors
  // fetch and a form post (text/plain, no preflight).
  const other = await startOtherSite(`<!doctype html><body>
<form id="f" method="post" enctype="text/plain" action="${target}">
<input name='${change.slice(0, -1)}, "x": "' value='"}'></form>
<script>
fetch(${JSON.stringify(target)}, { method: "POST", mode: "no-cors", credentials: "include",
  headers: { "content-type": "text/plain" }, body: ${JSON.stringify(change)} });
fetch(${JSON.stringify(`${service.url}/api/compose/uploads`)}, { method: "POST", mode: "no-cors",
  credentials: "include", body: "planted" });
</script></body>`);
  const page = await context.newPage();
  const answers = new Map<string, number>();
  page.on("response", (r) => {
    if (r.url().startsWith(service.url)) {
      answers.set(`${r.request().resourceType()} ${new URL(r.url()).pathname}`, r.status());
    }
  });
  const uploadAnswered = page.waitForResponse((r) => r.url().endsWith("/api/compose/uploads"));
  const flagsAnswered = page.waitForResponse((r) => r.url() === target);
  await page.goto(other);
  await Promise.all([uploadAnswered, flagsAnswered]);
  const navigated = page.waitForResponse(
    (r) => r.url() === target && r.request().isNavigationRequest(),
  );
  await page.evaluate(() => (document.getElementById("f") as HTMLFormElement).submit());
  await navigated;
  assert.deepEqual(Object.fromEntries(answers), {
    "fetch /api/messages/flags": 403,
    "fetch /api/compose/uploads": 403,
    "document /api/messages/flags": 403,
  });

  // Not from a browser page (no Sec-Fetch-Site): Origin decides, compared
  // with the Host the request was sent to; X-Forwarded-* count only behind
  // a trusted proxy, which TRUST_PROXY=false says there is not.
  const post = (headers: Record<string, string>) =>
    context.request.post(target, { headers, data: { ids: [messageId], flagged: false } });
  assert.equal((await post({ origin: "http://evil.example" })).status(), 403);
  assert.equal(
    (
      await post({
        origin: "http://evil.example",
        "x-forwarded-host": "evil.example",
        "x-forwarded-proto": "http",
      })
    ).status(),
    403,
  );
  assert.equal((await post({ origin: "null" })).status(), 403);

  // Nothing changed: the message is still flagged.
  await home.page.reload();
  const row = home.page.locator(`[data-message-id="${messageId}"]`);
  await row.getByRole("button", { name: /^Unflag:/ }).waitFor();

  // The request's own origin passes, whichever address it was sent to.
  assert.equal((await post({ origin: service.url })).status(), 200);
  const direct = await fetch(`http://127.0.0.1:${webPort}/api/messages/flags`, {
    method: "POST",
    headers: {
      origin: `http://127.0.0.1:${webPort}`,
      "content-type": "application/json",
      cookie: (await context.cookies(service.url)).map((c) => `${c.name}=${c.value}`).join("; "),
    },
    body: JSON.stringify({ ids: [messageId], flagged: true }),
  });
  assert.equal(direct.status, 200);
  await page.close();
});

test("next-auth's redirects stay on the address used, whatever the callbackUrl or X-Forwarded-Host", async () => {
  const forged = { "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" };
  for (const origin of [service.url, `http://127.0.0.1:${webPort}`]) {
    for (const headers of [{}, forged]) {
      const signin = await fetch(
        `${origin}/api/auth/signin?callbackUrl=${encodeURIComponent("https://evil.example/x")}`,
        { redirect: "manual", headers },
      );
      const location = new URL(signin.headers.get("location") ?? "", origin);
      assert.equal(location.origin + location.pathname, `${origin}/login`);
      assert.equal(location.searchParams.get("callbackUrl"), origin, "callbackUrl made ours");

      const csrf = await fetch(`${origin}/api/auth/csrf`, { headers });
      const { csrfToken } = (await csrf.json()) as { csrfToken: string };
      const cookie = csrf.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
      const signout = await fetch(`${origin}/api/auth/signout`, {
        method: "POST",
        redirect: "manual",
        headers: { ...headers, cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          csrfToken,
          callbackUrl: "https://evil.example/x",
          json: "true",
        }),
      });
      const { url } = (await signout.json()) as { url: string };
      assert.equal(url, origin, "sign-out goes back to this site");
    }
  }
});
