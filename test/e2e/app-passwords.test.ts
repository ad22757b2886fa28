// The app passwords page in Chromium against the production build: an app
// password is made and shown once, works for IMAP (and not the web), its
// last use is listed, and Revoke ends it. Its routes refuse anonymous
// callers (401), other accounts (404, nothing revoked) and other sites'
// pages (403), and take JSON only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { seriousAxeViolations } from "../helpers/mail.ts";
import { signInAs as signIn } from "../helpers/admin-access.ts";
import { cookieHeader } from "../helpers/admin.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { authenticate } = await import("../../lib/accounts/authenticate.ts");
const appPasswords = await import("../../lib/auth/app-passwords.ts");

const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
for (const route of ["/login", "/mail", "/settings/app-passwords"])
  await fetch(`${web.url}${route}`);

const imap = { ip: "198.51.100.20", protocol: "imap" as const };

test("make an app password, see it once, use it over IMAP, revoke it", async () => {
  const account = await makeAccount("tess");
  const context = await newContext(browser, web.url);
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  await signIn(page, account.address);
  // Two-step turned on after this browser signed in (its second step is
  // test/e2e/two-step.test.ts's): from now on mail protocols want app passwords.
  await db.account.update({ where: { id: account.id }, data: { twoStepEnabledAt: new Date() } });
  await page.goto("/settings/app-passwords");
  await page.getByRole("heading", { name: "App passwords" }).waitFor();
  assert.match(await page.getByTestId("two-step-state").innerText(), /Two-step verification is on/);
  assert.deepEqual(await seriousAxeViolations(page), []);

  // A name is required.
  await page.getByRole("button", { name: "Create app password" }).click();
  await page.getByText("Give the app password a name").waitFor();

  await page.getByLabel("Name").fill("Phone");
  await page.getByRole("button", { name: "Create app password" }).click();
  const shown = await page.getByTestId("new-app-password").innerText();
  assert.match(shown, /^[a-z]{4} [a-z]{4} [a-z]{4} [a-z]{4}$/);
  await page
    .getByTestId("app-password")
    .filter({ hasText: "Phone" })
    .getByText("Never used")
    .waitFor();

  const login = await authenticate(account.address, shown, imap);
  assert.ok(login.appPasswordId);
  await assert.rejects(authenticate(account.address, shown, { ...imap, protocol: "web" }));

  // Shown once: after a reload only its name and last use are there.
  await page.reload();
  const row = page.getByTestId("app-password").filter({ hasText: "Phone" });
  await row.getByText(/Last used .* from 198\.51\.100\.20 \(IMAP\)/).waitFor();
  assert.equal(await page.getByTestId("new-app-password").count(), 0);
  assert.ok(!(await page.content()).includes(shown.replace(/ /g, "")));

  page.once("dialog", (dialog) => void dialog.accept());
  await row.getByRole("button", { name: "Revoke Phone" }).click();
  await page.getByText("No app passwords yet.").waitFor();
  await assert.rejects(authenticate(account.address, shown, imap));
  await context.close();
});

test("the routes: 401 anonymous, 404 for another account's, 403 from another site, JSON only", async () => {
  const owner = await makeAccount("owen");
  const other = await makeAccount("olga");
  const mine = await appPasswords.createAppPassword(owner.id, "Laptop");
  const ownerContext = await newContext(browser, web.url);
  const otherContext = await newContext(browser, web.url);
  ownerContext.setDefaultTimeout(60_000);
  otherContext.setDefaultTimeout(60_000);
  await signIn(await ownerContext.newPage(), owner.address);
  await signIn(await otherContext.newPage(), other.address);
  const ownerCookie = await cookieHeader(ownerContext);
  const otherCookie = await cookieHeader(otherContext);
  const json = { "content-type": "application/json" };
  const create = (headers: Record<string, string>, body = JSON.stringify({ name: "x" })) =>
    fetch(`${web.url}/api/app-passwords`, { method: "POST", headers, body });
  const revoke = (headers: Record<string, string>, id = mine.id) =>
    fetch(`${web.url}/api/app-passwords/${id}`, { method: "DELETE", headers });

  assert.equal((await create(json)).status, 401);
  assert.equal((await revoke({})).status, 401);
  const page = await fetch(`${web.url}/settings/app-passwords`, { redirect: "manual" });
  assert.equal(page.status, 307);
  assert.match(page.headers.get("location") ?? "", /\/login$/);

  // Another account: its own list only, and someone else's id is not found.
  assert.equal((await revoke({ cookie: otherCookie })).status, 404);
  assert.equal((await revoke({ cookie: otherCookie }, "not-a-uuid")).status, 404);
  const otherPage = await fetch(`${web.url}/settings/app-passwords`, {
    headers: { cookie: otherCookie },
  });
  assert.equal(otherPage.status, 200);
  assert.ok(!(await otherPage.text()).includes("Laptop"));

  // Other sites' pages, with the owner's cookie.
  const sites: Record<string, string>[] = [
    { origin: "http://evil.example" },
    { "sec-fetch-site": "cross-site" },
    { "sec-fetch-site": "same-site" },
  ];
  for (const site of sites) {
    assert.equal((await create({ ...json, cookie: ownerCookie, ...site })).status, 403);
    assert.equal((await revoke({ cookie: ownerCookie, ...site })).status, 403);
  }
  // A form post (what another site could send without a preflight).
  const form = await create(
    { cookie: ownerCookie, "content-type": "application/x-www-form-urlencoded" },
    "name=x",
  );
  assert.equal(form.status, 400);
  assert.deepEqual(
    (await appPasswords.listAppPasswords(owner.id)).map((p) => p.name),
    ["Laptop"],
  );

  // The owner, from this site.
  const made = await create({ ...json, cookie: ownerCookie, origin: web.url });
  assert.equal(made.status, 201);
  assert.equal(made.headers.get("cache-control"), "no-store");
  assert.equal((await revoke({ cookie: ownerCookie, origin: web.url })).status, 204);
  assert.deepEqual(
    (await appPasswords.listAppPasswords(owner.id)).map((p) => p.name),
    ["x"],
  );
  await ownerContext.close();
  await otherContext.close();
});
