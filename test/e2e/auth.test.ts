// Signup, sign-in, sign-out, throttling and disabled accounts, in Chromium
// and over plain HTTP, against the production build.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount, TEST_PASSWORD } from "../helpers/accounts.ts";
import type { Browser, Page } from "playwright-core";

const databaseUrl = await useTestDatabase();
const { ensureHostedDomain } = await import("../../lib/accounts/domains.ts");
const manage = await import("../../lib/accounts/manage.ts");

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

test("a wrong password is refused and five failures lock the account", async () => {
  await makeAccount("kim");
  const page = await (await newContext(browser, web.url)).newPage();
  await signIn(page, "kim@mail.test", "not my password");
  await page.getByText("Wrong address or password.").waitFor();
  for (let i = 0; i < 4; i++) {
    await page.getByLabel("Password").fill(`wrong guess ${i}`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Wrong address or password.").waitFor();
  }
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Too many failed sign-in attempts").waitFor();
  assert.match(page.url(), /\/login/);
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
  const { db } = await import("../../lib/db.ts");
  const csrfResponse = await fetch(`${web.url}/api/auth/csrf`);
  const { csrfToken } = (await csrfResponse.json()) as { csrfToken: string };
  const cookie = csrfResponse.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const response = await fetch(`${web.url}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie,
      "x-mail-client-ip": "203.0.113.77",
      "x-forwarded-for": "203.0.113.78",
    },
    body: new URLSearchParams({
      csrfToken,
      address: "nobody@mail.test",
      password: "some wrong password",
      json: "true",
    }),
  });
  assert.ok(response.status < 500, `sign-in answered ${response.status}`);
  const keys = (await db.rateLimit.findMany({ select: { key: true } })).map((r) => r.key);
  assert.ok(keys.includes("login-fail:ip:127.0.0.1"), `counted under ${keys.join(", ")}`);
  assert.ok(!keys.some((k) => k.includes("203.0.113.77") || k.includes("203.0.113.78")));
});
