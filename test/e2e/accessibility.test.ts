// axe-core in Chromium on every page, in light and dark, on a desktop and
// at 390×844 (issue 19): no serious or critical violation, exactly one
// `main` landmark and at most one `banner` per page (axe files the landmark
// rules as moderate, so they are checked by name), and the composer's
// toolbar buttons named by the text they show.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { makeAccount, TEST_PASSWORD } from "../helpers/accounts.ts";
import { signInAs } from "../helpers/admin-access.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { axeViolations, deliverMail, waitForLive } from "../helpers/mail.ts";
import { startWebServer } from "../helpers/web.ts";

await useTestDatabase();
const admin = await makeAccount("axeadmin", { role: "ADMIN" });
await deliverMail(admin.id, {
  from: "Alice <alice@example.org>",
  to: admin.address,
  subject: "Accessible mail",
  text: "Hello there",
});
const [web, browser] = await Promise.all([startWebServer(), launchBrowser()]);

const LANDMARK_RULES = [
  "landmark-one-main",
  "landmark-no-duplicate-main",
  "landmark-no-duplicate-banner",
  "landmark-no-duplicate-contentinfo",
  "landmark-unique",
];

async function axeFindings(page: Page) {
  return (await axeViolations(page))
    .filter(
      (v) => v.impact === "serious" || v.impact === "critical" || LANDMARK_RULES.includes(v.id),
    )
    .map((v) => ({ ...v, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
}

const PAGES: { path: string; signedIn: boolean; ready: (page: Page) => Promise<void> }[] = [
  { path: "/login", signedIn: false, ready: async () => {} },
  { path: "/signup", signedIn: false, ready: async () => {} },
  { path: "/mail", signedIn: true, ready: (page) => waitForLive(page) },
  { path: "/settings", signedIn: true, ready: async () => {} },
  { path: "/admin", signedIn: true, ready: async () => {} },
  { path: "/admin/users", signedIn: true, ready: async () => {} },
  { path: "/admin/domains", signedIn: true, ready: async () => {} },
  { path: "/admin/aliases", signedIn: true, ready: async () => {} },
  { path: "/admin/invites", signedIn: true, ready: async () => {} },
  { path: "/admin/queue", signedIn: true, ready: async () => {} },
  { path: "/admin/settings", signedIn: true, ready: async () => {} },
  { path: "/admin/audit", signedIn: true, ready: async () => {} },
];

const VIEWS = [
  { name: "desktop", viewport: { width: 1280, height: 800 } },
  { name: "390×844", viewport: { width: 390, height: 844 } },
] as const;

for (const view of VIEWS) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`axe on every page, ${colorScheme}, ${view.name}: no serious or critical issue, one main, one banner`, async () => {
      const context = await newContext(browser, web.url, {
        viewport: view.viewport,
        colorScheme,
      });
      context.setDefaultTimeout(60_000);
      // Signed-out pages in a context of their own (a signed-in visit to /login goes to /mail).
      const anonymousContext = await newContext(browser, web.url, {
        viewport: view.viewport,
        colorScheme,
      });
      const anonymous = await anonymousContext.newPage();
      const signedIn = await context.newPage();
      await signInAs(signedIn, admin.address, TEST_PASSWORD);
      await signedIn.waitForURL(/\/mail/);
      const problems: string[] = [];
      for (const entry of PAGES) {
        const page = entry.signedIn ? signedIn : anonymous;
        await page.goto(entry.path);
        await entry.ready(page);
        for (const f of await axeFindings(page))
          problems.push(`${entry.path}: ${f.id} (${f.impact}) ${f.help} at ${f.targets.join(" ")}`);
      }
      // The reading pane with a message open, and the composer.
      await signedIn.goto("/mail");
      await waitForLive(signedIn);
      await signedIn.getByTestId("message-row").filter({ hasText: "Accessible mail" }).click();
      await signedIn.getByRole("heading", { name: "Accessible mail" }).first().waitFor();
      for (const f of await axeFindings(signedIn))
        problems.push(`/mail (reading): ${f.id} (${f.impact}) ${f.help} at ${f.targets.join(" ")}`);
      await signedIn.getByRole("button", { name: /^New(\s+message)?$/ }).click();
      await signedIn.getByRole("toolbar", { name: "Formatting" }).waitFor();
      for (const f of await axeFindings(signedIn))
        problems.push(
          `/mail (composer): ${f.id} (${f.impact}) ${f.help} at ${f.targets.join(" ")}`,
        );
      assert.deepEqual(problems, []);
      await Promise.all([context.close(), anonymousContext.close()]);
    });
  }
}

test("the composer's toolbar buttons are named by the text they show", async () => {
  const context = await newContext(browser, web.url);
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  await signInAs(page, admin.address, TEST_PASSWORD);
  await page.waitForURL(/\/mail/);
  await waitForLive(page);
  await page.getByRole("button", { name: "New message" }).click();
  const toolbar = page.getByRole("toolbar", { name: "Formatting" });
  await toolbar.waitFor();
  const buttons = await toolbar.getByRole("button").all();
  assert.ok(buttons.length > 0);
  const mismatched: string[] = [];
  for (const button of buttons) {
    const shown = ((await button.innerText()) ?? "").trim();
    const name = (await button.getAttribute("aria-label")) ?? shown;
    // WCAG 2.5.3 Label in Name: the accessible name contains the visible text.
    if (shown && !name.toLowerCase().includes(shown.toLowerCase()))
      mismatched.push(`"${shown}" named "${name}"`);
  }
  assert.deepEqual(mismatched, []);
  await context.close();
});
