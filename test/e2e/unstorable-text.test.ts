// A NUL at the web app's boundaries, through the production server: a URL
// with %00 (the search box's ?q=, the admin lists' filters) is a 400 with a
// message, not a page that fails on a database error, and signing in with
// a NUL in the address says "Wrong address or password" in Chromium.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount, TEST_PASSWORD } from "../helpers/accounts.ts";
import { cookieHeader, signInSession } from "../helpers/admin.ts";
import { waitForHydration } from "../helpers/admin-access.ts";

const databaseUrl = await useTestDatabase();
const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
const admin = await makeAccount("chief", { role: "ADMIN" });

test("a URL with %00 is refused with 400 and a message, signed in or not", async () => {
  const session = await signInSession(browser, web.url, admin.address);
  const cookie = await cookieHeader(session.context);
  for (const url of [
    "/mail?q=%00",
    "/mail?q=from%3Aa%00b",
    "/admin/users?q=a%00b",
    "/admin/aliases?q=%00",
    "/admin/audit?actor=%00",
    "/admin/queue?q=a%00",
    "/login?callbackUrl=%2Fmail%00",
  ]) {
    const response = await fetch(`${web.url}${url}`, { headers: { cookie }, redirect: "manual" });
    assert.equal(response.status, 400, url);
    assert.match(await response.text(), /NUL character/);
  }
  // The same pages without the NUL still work.
  const ok = await fetch(`${web.url}/mail?q=hello`, { headers: { cookie }, redirect: "manual" });
  assert.equal(ok.status, 200);
  assert.ok(!web.output.some((l) => /invalid byte sequence|0x00/.test(l)), web.output.join("\n"));
  await session.context.close();
});

test("signing in with a NUL in the address is a wrong address, not a server error", async () => {
  const context = await newContext(browser, web.url);
  const page = await context.newPage();
  await page.goto("/login");
  await waitForHydration(page, "form");
  await page.getByLabel("Address").fill("chief\u0000@mail.test");
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  const error = page.locator(".form-error");
  await error.waitFor({ timeout: 60_000 });
  assert.equal((await error.textContent())?.trim(), "Wrong address or password.");
  assert.ok(!web.output.some((l) => /invalid byte sequence|0x00/.test(l)), web.output.join("\n"));
  await context.close();
});
