// Signup, sign-in, sign-out (the session ends on the server), the client
// address the throttle counts, and disabled accounts, in Chromium and over
// plain HTTP, against the production build. Throttling itself:
// sign-in-throttle.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount, TEST_PASSWORD } from "../helpers/accounts.ts";
import { cookieHeader } from "../helpers/admin.ts";
import { postSignIn } from "../helpers/sign-in-http.ts";
import type { Browser, Page } from "playwright-core";

const databaseUrl = await useTestDatabase();
const { ensureHostedDomain } = await import("../../lib/accounts/domains.ts");
const manage = await import("../../lib/accounts/manage.ts");
const { db } = await import("../../lib/db.ts");

// Started at the top level: helpers register their clean-up with after(),
// which belongs to the file, not to a hook.
await ensureHostedDomain("mail.test");
const [web, browser]: [WebServer, Browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);

async function signIn(page: Page, address: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Address").fill(address);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("signed-out visitors are sent to sign in", async () => {
  const response = await fetch(`${web.url}/mail`, { redirect: "manual" });
  assert.equal(response.status, 307);
  assert.match(response.headers.get("location") ?? "", /\/login$/);
  const home = await fetch(`${web.url}/`, { redirect: "manual" });
  assert.match(home.headers.get("location") ?? "", /\/login$/);
});

test("signup refuses bad input with form errors, then creates the account and signs it in to its inbox", async () => {
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  await page.goto("/signup");
  await page.getByLabel("Your name").fill("Jane Doe");
  const address = page.getByLabel("Address");
  const password = page.getByLabel("Password", { exact: true });
  const confirm = page.getByLabel("Confirm password");
  const submit = page.getByRole("button", { name: "Create account" });

  await address.fill("postmaster");
  await password.fill(TEST_PASSWORD);
  await confirm.fill(TEST_PASSWORD);
  await submit.click();
  await page.getByText("postmaster@mail.test is reserved.").waitFor();

  await page.getByLabel("Address").fill("jane");
  await page.getByLabel("Password", { exact: true }).fill("password123");
  await page.getByLabel("Confirm password").fill("password123");
  await submit.click();
  await page.getByText("This password is too common").waitFor();

  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Confirm password").fill("short");
  await submit.click();
  await page.getByText("Use at least 10 characters.").waitFor();

  await page.getByLabel("Address").fill("jane");
  await page.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
  await page.getByLabel("Confirm password").fill("something else entirely");
  await submit.click();
  await page.getByText("The passwords do not match.").waitFor();

  await page.getByLabel("Address").fill("Jane");
  await page.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
  await page.getByLabel("Confirm password").fill(TEST_PASSWORD);
  // Signed in at once, on the Inbox (as at Gmail and Outlook.com).
  await submit.click();
  await page.waitForURL(/\/mail$/);
  assert.match(await page.getByTestId("signed-in-as").innerText(), /jane@mail\.test/);
  await page.getByRole("heading", { name: "Inbox" }).waitFor();
  for (const folder of ["Inbox", "Drafts", "Sent", "Archive", "Junk", "Trash"]) {
    await page
      .getByRole("navigation", { name: "Folders" })
      .getByText(folder, { exact: true })
      .waitFor();
  }

  // The same address cannot be taken twice.
  const second = await (await newContext(browser, web.url)).newPage();
  await second.goto("/signup");
  await second.getByLabel("Address").fill("jane");
  await second.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
  await second.getByLabel("Confirm password").fill(TEST_PASSWORD);
  await second.getByRole("button", { name: "Create account" }).click();
  await second.getByText("jane@mail.test is already taken.").waitFor();

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login$/);
  await page.goto("/mail");
  await page.waitForURL(/\/login$/);
  await context.close();
});

test("a wrong password is refused with a message that does not say which part was wrong", async () => {
  await makeAccount("kim");
  const page = await (await newContext(browser, web.url)).newPage();
  await signIn(page, "kim@mail.test", "not my password");
  await page.getByText("Wrong address or password.").waitFor();
  await signIn(page, "nobody@mail.test", TEST_PASSWORD);
  await page.getByText("Wrong address or password.").waitFor();
  assert.match(page.url(), /\/login/);
});

test("signing out ends the session on the server: a cookie copied before it is refused after", async () => {
  const otto = await makeAccount("otto");
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  await signIn(page, "otto@mail.test", TEST_PASSWORD);
  await page.waitForURL(/\/mail$/);
  const copied = await cookieHeader(context);
  const withCopy = (path: string) =>
    fetch(`${web.url}${path}`, { headers: { cookie: copied }, redirect: "manual" });
  assert.equal((await withCopy("/mail")).status, 200);
  // A live-update stream opened with the copy, before the sign-out.
  const stream = await withCopy("/api/events");
  assert.equal(stream.status, 200);
  const reader = stream.body!.getReader();
  const streamEnded = (async () => {
    while (!(await reader.read()).done);
  })();

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login$/);
  assert.equal(await db.webSession.count({ where: { accountId: otto.id } }), 0);
  const replayed = await withCopy("/mail");
  assert.equal(replayed.status, 307);
  assert.match(replayed.headers.get("location") ?? "", /\/login$/);
  assert.deepEqual(await (await withCopy("/api/auth/session")).json(), {});
  assert.equal((await withCopy("/api/events")).status, 401);
  // The open stream re-checks the session at its next heartbeat (25 s) and ends.
  await Promise.race([
    streamEnded,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error("the event stream outlived the session")), 60_000),
    ),
  ]);
  await context.close();
});

test("disabling an account ends its open session at the next request", async () => {
  await makeAccount("lee");
  const page = await (await newContext(browser, web.url)).newPage();
  await signIn(page, "lee@mail.test", TEST_PASSWORD);
  await page.waitForURL(/\/mail$/);
  await manage.setAccountDisabled("lee@mail.test", true);
  await page.reload();
  await page.waitForURL(/\/login$/);
  await signIn(page, "lee@mail.test", TEST_PASSWORD);
  await page.getByText("This account is disabled").waitFor();
});

test("throttling counts the socket's address, not a client-supplied header", async () => {
  const response = await postSignIn(
    web.url,
    { address: "nobody@mail.test", password: "some wrong password" },
    { "x-mail-client-ip": "203.0.113.77", "x-forwarded-for": "203.0.113.78" },
  );
  assert.ok(response.status < 500, `sign-in answered ${response.status}`);
  const networks = (await db.loginThrottle.findMany({ select: { network: true } })).map(
    (r) => r.network,
  );
  assert.ok(networks.includes("127.0.0.1"), `counted under ${networks.join(", ")}`);
  assert.ok(!networks.some((n) => n.includes("203.0.113.77") || n.includes("203.0.113.78")));
});
