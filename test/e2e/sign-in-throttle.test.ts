// Web sign-in throttling in Chromium against the production build, behind a
// reverse proxy (TRUST_PROXY: the client address is X-Forwarded-For's first
// hop, as web/server.ts reads it): a stranger's wrong passwords are answered
// later and later and then refused for that network only, the owner signs in
// from elsewhere throughout, and an admin sees the lock, lifts it, and finds
// it in the audit log.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { makeAccount, TEST_PASSWORD } from "../helpers/accounts.ts";
import { SLOW_TIMEOUT_MS, signInSession } from "../helpers/admin.ts";
import { postSignIn } from "../helpers/sign-in-http.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { pairDelayMs } = await import("../../lib/auth/login-throttle.ts");
const { LOGIN_PAIR_LOCK_FAILURES } = await import("../../lib/config/limits.ts");

const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl, TRUST_PROXY: "true" }),
  launchBrowser(),
]);
const kim = await makeAccount("kim");
const boss = await makeAccount("boss", { role: "ADMIN" });
const STRANGER = "203.0.113.66";
const OWNER = "198.51.100.7";

/** A page whose requests come from `ip`, as the proxy in front reports it. */
async function pageAt(ip: string): Promise<Page> {
  const context = await newContext(browser, web.url, {
    extraHTTPHeaders: { "x-forwarded-for": ip },
  });
  context.setDefaultTimeout(SLOW_TIMEOUT_MS);
  return context.newPage();
}

/** Submits the sign-in form; resolves with when it was sent and when next-auth answered. */
async function submitSignIn(
  page: Page,
  password: string,
): Promise<{ sent: number; answered: number }> {
  await page.getByLabel("Address").fill(kim.address);
  await page.getByLabel("Password").fill(password);
  const answer = page.waitForResponse((r) => r.url().includes("/api/auth/callback/credentials"));
  const sent = performance.now();
  await page.getByRole("button", { name: "Sign in" }).click();
  await answer;
  return { sent, answered: performance.now() };
}

test("a stranger is slowed and then locked out for that network only; the owner signs in elsewhere; an admin lifts the lock", async () => {
  const stranger = await pageAt(STRANGER);
  await stranger.goto("/login");
  const wrong = stranger.getByRole("alert").getByText("Wrong address or password.");
  const attempts: { sent: number; answered: number }[] = [];
  for (let i = 0; i < 5; i++) {
    attempts.push(await submitSignIn(stranger, `wrong guess ${i}`));
    await wrong.waitFor();
  }

  const owner = await pageAt(OWNER);
  await owner.goto("/login");
  await submitSignIn(owner, TEST_PASSWORD);
  await owner.waitForURL(/\/mail$/);

  // Each answer waited 2, 4, 8, 15 s after the attempt before it, whatever the client's pace.
  for (let failures = 1; failures < attempts.length; failures++) {
    const gap = attempts[failures]!.answered - attempts[failures - 1]!.sent;
    const least = pairDelayMs(failures);
    assert.ok(
      gap >= least,
      `attempt ${failures + 1} answered ${Math.round(gap)} ms after the one before, not ${least}`,
    );
  }

  // The stranger goes on (in parallel, as a script would) until the pair locks.
  await Promise.all(
    Array.from({ length: LOGIN_PAIR_LOCK_FAILURES - 5 }, (_, i) =>
      postSignIn(
        web.url,
        { address: kim.address, password: `scripted guess ${i}` },
        { "x-forwarded-for": STRANGER },
      ).then((r) => assert.ok(r.status < 500, `sign-in answered ${r.status}`)),
    ),
  );
  await submitSignIn(stranger, TEST_PASSWORD);
  await stranger
    .getByRole("alert")
    .getByText(
      "Too many failed sign-ins to this account from your network. Try again in 15 minutes.",
    )
    .waitFor();
  assert.match(stranger.url(), /\/login/);
  await owner.reload();
  await owner.getByTestId("signed-in-as").waitFor();

  const { page: admin } = await signInSession(browser, web.url, boss.address);
  await admin.goto(`/admin/users?q=kim`);
  await admin.getByRole("row", { name: /kim@mail\.test .*sign-in locked/ }).waitFor();
  await admin.goto(`/admin/users/${kim.id}`);
  assert.equal(
    await admin.getByTestId("throttle-state").innerText(),
    "Locked from 1 network; slowed from 0 more.",
  );
  const row = admin.getByRole("table", { name: "Throttled networks" }).getByRole("row").nth(1);
  // Failures fade (half-life 15 minutes): 10 a minute ago may show as 9.
  assert.match(await row.innerText(), new RegExp(`${STRANGER}\\s+(9|10)\\s`));
  assert.match(await row.innerText(), /Locked until/);
  const history = admin.getByRole("table", { name: "Recent sign-ins" });
  // The browser's five failures are one line; the script (another user agent) is another.
  await history
    .getByRole("row", { name: new RegExp(`Failed web ${STRANGER} 5 Mozilla`) })
    .waitFor();
  await history
    .getByRole("row", { name: new RegExp(`Refused \\(throttled\\) web ${STRANGER}`) })
    .waitFor();
  await history.getByRole("row", { name: new RegExp(`Signed in web ${OWNER} 1`) }).waitFor();

  const lift = admin.getByRole("form", { name: "Lift throttling" });
  await lift.getByRole("button", { name: "Lift" }).click();
  await lift
    .getByRole("status")
    .getByText("Sign-in throttling of kim@mail.test is lifted.")
    .waitFor();
  await admin.reload();
  assert.equal(await admin.getByTestId("throttle-state").innerText(), "Not throttled.");

  // Lifted: the right password from the stranger's network works again.
  await submitSignIn(stranger, TEST_PASSWORD);
  await stranger.waitForURL(/\/mail$/);

  // The lock and its lifting are in the audit log; the network's failures are listed.
  await admin.goto("/admin/audit");
  const log = admin.getByRole("table", { name: "Audit entries" });
  await log
    .getByRole("row", {
      name: new RegExp(`sign-in throttle signin\\.locked kim@mail\\.test ${STRANGER}`),
    })
    .waitFor();
  await log.getByRole("row", { name: /boss@mail\.test account\.unlock kim@mail\.test/ }).waitFor();
  const now = admin.getByRole("table", { name: "Failed sign-ins now" });
  await now.getByRole("row", { name: new RegExp(`any address ${STRANGER} (9|10) `) }).waitFor();
  assert.equal(await db.auditLog.count({ where: { action: "signin.locked" } }), 1);
});
