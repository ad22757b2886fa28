// Sessions and sign-in history on the Security page, in Chromium with
// several browser contexts against the production build: every signed-in
// browser is listed (device, IP, first and last seen), "Sign out" ends one
// and "Sign out everywhere else" the rest, each signed out at its next
// request; the last 50 sign-in events; a notice in the Inbox for a sign-in
// from a new browser (not for the first one, nor for a known one); the
// actions refuse other accounts' sessions, anonymous callers and other sites.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { seriousAxeViolations } from "../helpers/mail.ts";
import {
  assertActionNeedsSession,
  interceptServerAction,
  signInAs,
} from "../helpers/admin-access.ts";
import { newPage } from "../helpers/two-step.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");

const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
for (const route of ["/login", "/mail", "/settings/security"]) await fetch(`${web.url}${route}`);

async function signedInPage(address: string): Promise<Page> {
  const page = await newPage(browser, web.url);
  await signInAs(page, address);
  await page.waitForURL(/\/mail/);
  return page;
}

/** The session id next-auth's session endpoint reports for the page's browser ("" when signed out). */
async function sessionIdOf(page: Page): Promise<string> {
  const body = (await (await page.request.get("/api/auth/session")).json()) as {
    sessionId?: string;
  };
  return body.sessionId ?? "";
}

async function isSignedOut(page: Page): Promise<boolean> {
  const response = await page.request.get("/mail", { maxRedirects: 0 });
  return [303, 307].includes(response.status()) && (await sessionIdOf(page)) === "";
}

const notices = (accountId: string) =>
  db.message.findMany({
    where: { accountId, subject: "New sign-in to your account" },
    select: { fromAddress: true, mailbox: { select: { specialUse: true } }, sourceSha256: true },
  });

test("sessions: listed, one signed out, then everywhere else; new browsers get a notice", async () => {
  const account = await makeAccount("sia");
  const first = await signedInPage(account.address);
  // The very first browser of an account is no news.
  assert.equal((await notices(account.id)).length, 0);
  const second = await signedInPage(account.address);
  const third = await signedInPage(account.address);
  const found = await notices(account.id);
  assert.equal(found.length, 2, "one notice for each new browser");
  assert.equal(found[0]!.mailbox.specialUse, "INBOX");
  assert.equal(found[0]!.fromAddress, "postmaster@mail.test");
  const source = await db.messageSource.findUniqueOrThrow({
    where: { sha256: found[0]!.sourceSha256 },
  });
  const raw = Buffer.from(source.raw).toString();
  assert.match(raw, /Chrome on Linux/);
  assert.match(raw, /Auto-Submitted: auto-generated/);
  // Signing in again from a known browser sends nothing.
  await second.request.post("/api/auth/signout", {
    form: {
      csrfToken: (
        (await (await second.request.get("/api/auth/csrf")).json()) as { csrfToken: string }
      ).csrfToken,
    },
  });
  await signInAs(second, account.address);
  await second.waitForURL(/\/mail/);
  assert.equal((await notices(account.id)).length, 2);

  await first.goto("/settings/security");
  const rows = first.getByTestId("session-row");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 3);
  assert.deepEqual(await seriousAxeViolations(first), []);
  const mine = await sessionIdOf(first);
  const current = first.locator(`[data-session-id="${mine}"]`);
  assert.match((await current.textContent()) ?? "", /Chrome on Linux.*This browser/);
  assert.match((await current.textContent()) ?? "", /127\.0\.0\.1/);
  assert.equal(await current.getByRole("button", { name: /Sign out/ }).count(), 0);

  // Sign out the second browser: it is out at its next request, the third is not.
  const secondId = await sessionIdOf(second);
  await first
    .locator(`[data-session-id="${secondId}"]`)
    .getByRole("button", { name: /Sign out/ })
    .click();
  await first.locator(`[data-session-id="${secondId}"]`).waitFor({ state: "detached" });
  assert.equal(await isSignedOut(second), true);
  await second.goto("/mail");
  await second.waitForURL(/\/login/);
  assert.notEqual(await sessionIdOf(third), "");

  await first.getByRole("button", { name: "Sign out everywhere else" }).click();
  await first.getByText("Signed out 1 other session.").waitFor();
  // The list re-renders after the message: wait for the other row to go.
  await rows.nth(1).waitFor({ state: "detached" });
  assert.equal(await rows.count(), 1);
  assert.equal(await isSignedOut(third), true);
  // This browser stays signed in.
  assert.equal(await sessionIdOf(first), mine);
  await first.goto("/mail");
  await first.waitForURL(/\/mail/);
});

test("the history lists the last 50 sign-in events, failures included", async () => {
  const account = await makeAccount("hal");
  const page = await newPage(browser, web.url);
  // A wrong password first, then the right one.
  await page.goto("/login");
  await page.getByLabel("Address").fill(account.address);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".form-error").waitFor();
  await signInAs(page, account.address);
  await page.goto("/settings/security");
  const history = page.getByTestId("sign-in-history");
  await history.waitFor();
  assert.match((await history.textContent()) ?? "", /Failed/);
  assert.match((await history.textContent()) ?? "", /Signed in/);
  assert.equal(await page.getByTestId("sign-in-event").count(), 2);

  const old = Date.now() - 3 * 86_400_000;
  await db.signInEvent.createMany({
    data: Array.from({ length: 60 }, (_, i) => ({
      accountId: account.id,
      outcome: "FAILURE" as const,
      protocol: "imap",
      ip: `192.0.2.${i + 1}`,
      firstAt: new Date(old + i * 1000),
      lastAt: new Date(old + i * 1000),
    })),
  });
  await page.reload();
  await history.waitFor();
  assert.equal(await page.getByTestId("sign-in-event").count(), 50);
  // Newest first: this browser's sign-in leads, the oldest inserted ones are cut.
  assert.match((await page.getByTestId("sign-in-event").first().textContent()) ?? "", /Signed in/);
  assert.doesNotMatch((await history.textContent()) ?? "", /192\.0\.2\.1\b/);
});

test("session actions: another account's session, no session or another site change nothing", async () => {
  const owner = await makeAccount("own");
  const intruder = await makeAccount("int");
  const ownerPage = await signedInPage(owner.address);
  const ownerSession = await sessionIdOf(ownerPage);
  const intruderPage = await signedInPage(intruder.address);
  await signedInPage(intruder.address);

  await intruderPage.goto("/settings/security");
  const row = intruderPage.getByTestId("session-row").filter({ hasNotText: "This browser" });
  await row.waitFor();
  // Read before the click: the aborted action may leave the page in its error state.
  const theirs = (await row.getAttribute("data-session-id")) ?? "";
  const request = await interceptServerAction(intruderPage, () =>
    row.getByRole("button", { name: /Sign out/ }).click(),
  );
  const body = request.postData() ?? "";
  assert.ok(body.includes(theirs));
  const replay = (data: string, headers: Record<string, string> = {}) =>
    request.allHeaders().then((sent) =>
      intruderPage.request.post(new URL(request.url()).pathname, {
        headers: { ...sent, ...headers },
        data,
        maxRedirects: 0,
      }),
    );

  // The owner's session id in the intruder's request: "No such session", still signed in.
  const other = await replay(body.replaceAll(theirs, ownerSession));
  assert.match(await other.text(), /No such session/);
  assert.equal(await sessionIdOf(ownerPage), ownerSession);
  // From another site: refused.
  const foreign = await replay(body, { origin: "http://evil.example" });
  assert.ok(foreign.status() >= 400, `cross-site answered ${foreign.status()}`);
  // Without a session: sent to sign in.
  await assertActionNeedsSession(web.url, request);
  assert.equal(
    await db.webSession.count({ where: { accountId: intruder.id, id: theirs } }),
    1,
    "nothing was signed out",
  );
  // The same request, from the intruder's own page, does sign out their own session.
  const same = await replay(body);
  assert.equal(same.status(), 200);
  assert.equal(await db.webSession.count({ where: { accountId: intruder.id, id: theirs } }), 0);
});
