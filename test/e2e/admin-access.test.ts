// Only admins reach the Users, Domains, Audit log, Settings and Invites sections:
// every page answers 403 to a signed-in non-admin and sends an anonymous
// visitor to sign-in; every server action under app/admin (found in the
// build's server-reference manifest, so a new one cannot be forgotten) is
// refused the same way when invoked directly, and replaying a real admin
// form submission with a non-admin's cookies changes nothing.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import type { Request } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { cookieHeader, replaySubmission, signInSession } from "../helpers/admin.ts";
import { interceptServerAction } from "../helpers/admin-access.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { createInvite } = await import("../../lib/accounts/invites.ts");
const { authenticate } = await import("../../lib/accounts/authenticate.ts");
const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
const admin = await makeAccount("chief", { role: "ADMIN" });
const user = await makeAccount("plainuser");
const target = await makeAccount("target");
// One invite, so the Invites page has a Revoke button to capture.
await createInvite({}, { accountId: admin.id, label: admin.address });
// A failed sign-in, so the target has a throttle a forged Lift could clear.
await authenticate(target.address, "not the password", {
  ip: "203.0.113.9",
  protocol: "web",
}).catch(() => {});

const adminSession = await signInSession(browser, web.url, admin.address);
const userSession = await signInSession(browser, web.url, user.address);
const userCookies = await cookieHeader(userSession.context);

const PAGES = [
  "/admin/users",
  `/admin/users/${target.id}`,
  "/admin/domains",
  "/admin/audit",
  "/admin/settings",
  "/admin/invites",
  "/admin/security",
];

test("every admin page: 403 for a non-admin, sign-in for anonymous, 200 for an admin", async () => {
  const adminCookies = await cookieHeader(adminSession.context);
  for (const page of PAGES) {
    const anonymous = await fetch(`${web.url}${page}`, { redirect: "manual" });
    assert.equal(anonymous.status, 307, page);
    assert.match(anonymous.headers.get("location") ?? "", /\/login$/, page);
    const asUser = await fetch(`${web.url}${page}`, { headers: { cookie: userCookies } });
    assert.equal(asUser.status, 403, page);
    assert.match(await asUser.text(), /403 · Not allowed/);
    const asAdmin = await fetch(`${web.url}${page}`, { headers: { cookie: adminCookies } });
    assert.equal(asAdmin.status, 200, page);
  }
  // In the browser too: the non-admin sees the 403 page, not the section.
  const response = await userSession.page.goto("/admin/users");
  assert.equal(response?.status(), 403);
  await userSession.page.getByRole("heading", { name: "403 · Not allowed" }).waitFor();
});

type ManifestEntry = { workers: Record<string, unknown>; filename?: string; exportedName?: string };

/** Every server action defined under app/admin, with a page URL that serves it. */
async function adminActions() {
  const manifest = JSON.parse(
    await readFile(path.resolve(".next/server/server-reference-manifest.json"), "utf8"),
  ) as { node: Record<string, ManifestEntry> };
  return Object.entries(manifest.node)
    .filter(([, entry]) => entry.filename?.startsWith("app/admin/"))
    .map(([id, entry]) => {
      // A page that bundles the action; a dynamic segment gets any id, since
      // the role check comes before anything is looked up.
      const workers = Object.keys(entry.workers).filter((w) => w.startsWith("app/admin"));
      const worker = workers.find((w) => !w.includes("[")) ?? workers[0]!;
      const url = worker
        .replace(/^app/, "")
        .replace(/\/page$/, "")
        .replace(/\[[^\]]+\]/g, target.id);
      return { id, name: `${entry.filename}#${entry.exportedName}`, url };
    });
}

function invokeAction(action: { id: string; url: string }, cookie?: string) {
  return fetch(`${web.url}${action.url}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "next-action": action.id,
      "content-type": "text/plain;charset=UTF-8",
      origin: web.url,
      ...(cookie ? { cookie } : {}),
    },
    body: "[]",
  });
}

test("every admin server action: 403 for a non-admin, sign-in redirect for anonymous", async () => {
  const actions = await adminActions();
  const names = actions.map((a) => a.name);
  for (const expected of [
    "app/admin/users/actions.ts#createAccountAction",
    "app/admin/users/actions.ts#setDisabledAction",
    "app/admin/users/actions.ts#setRoleAction",
    "app/admin/users/actions.ts#resetPasswordAction",
    "app/admin/users/actions.ts#setQuotaAction",
    "app/admin/users/actions.ts#deleteAccountAction",
    "app/admin/users/actions.ts#liftThrottleAction",
    "app/admin/users/actions.ts#resetTwoStepAction",
    "app/admin/security/actions.ts#requireTwoStepAction",
    "app/admin/security/actions.ts#liftTwoStepAction",
    "app/admin/domains/actions.ts#addDomainAction",
    "app/admin/domains/actions.ts#setDomainSignupAction",
    "app/admin/domains/actions.ts#setCatchAllAction",
    "app/admin/domains/actions.ts#rotateDkimAction",
    "app/admin/domains/actions.ts#removeDomainAction",
    "app/admin/settings/actions.ts#saveSettingsAction",
    "app/admin/invites/actions.ts#createInviteAction",
    "app/admin/invites/actions.ts#revokeInviteAction",
  ]) {
    assert.ok(names.includes(expected), `${expected} missing from ${names.join(", ")}`);
  }
  for (const action of actions) {
    const asUser = await invokeAction(action, userCookies);
    assert.equal(asUser.status, 403, `${action.name} as a non-admin`);
    // A redirect from a server action comes back as a header for the client router.
    const anonymous = await invokeAction(action);
    assert.match(anonymous.headers.get("x-action-redirect") ?? "", /\/login/, action.name);
  }
});

async function assertReplayRefused(request: Request) {
  assert.equal((await replaySubmission(request, web.url, userCookies)).status, 403);
  const anonymous = await replaySubmission(request, web.url);
  assert.match(anonymous.headers.get("x-action-redirect") ?? "", /\/login/);
}

test("replayed admin form posts change nothing for a non-admin or anonymous", async () => {
  const page = adminSession.page;
  const snapshot = async () => ({
    target: await db.account.findUnique({
      where: { id: target.id },
      select: { disabled: true, role: true, quotaBytes: true, passwordHash: true },
    }),
    accounts: await db.account.count(),
    domains: await db.domain.findMany({ select: { name: true, signupEnabled: true } }),
    settings: await db.setting.count(),
    invites: await db.invite.findMany({ select: { id: true, revokedAt: true, useCount: true } }),
    throttles: await db.loginThrottle.count({ where: { address: target.address } }),
  });
  const before = await snapshot();
  assert.equal(before.throttles, 1);

  // Each capture aborts the request, which breaks the page: load it afresh.
  const capture = async (url: string, fill: () => Promise<void>, button: string | RegExp) => {
    await page.goto(url);
    await fill();
    return interceptServerAction(page, () =>
      page.getByRole("button", { name: button }).first().click(),
    );
  };
  const none = async () => {};
  const account = `/admin/users/${target.id}`;
  const captured: Request[] = [
    await capture(account, none, "Disable account"),
    await capture(account, none, "Make admin"),
    await capture(account, none, "Lift"),
    await capture(account, () => page.getByLabel("Quota (MiB)").fill("5"), "Set quota"),
    await capture(
      account,
      () => page.getByLabel("New password").fill("forged passphrase here"),
      "Reset password",
    ),
    await capture(
      account,
      () => page.getByLabel(`Type ${target.address} to confirm`).fill(target.address),
      "Delete account and mail",
    ),
    await capture(
      "/admin/users",
      async () => {
        await page.getByLabel("Address", { exact: true }).fill("forged@mail.test");
        await page.getByLabel("Initial password").fill("forged passphrase here");
      },
      "Create account",
    ),
    await capture(
      "/admin/domains",
      () => page.getByLabel("Add a hosted domain").fill("forged.test"),
      "Add domain",
    ),
    await capture("/admin/domains", none, /Turn signup (on|off)/),
    await capture(
      "/admin/settings",
      async () => {
        await page.getByLabel("Signup").selectOption("closed");
      },
      "Save settings",
    ),
    await capture("/admin/invites", none, "Create invite"),
    await capture("/admin/invites", none, "Revoke"),
  ];

  for (const request of captured) await assertReplayRefused(request);
  assert.deepEqual(await snapshot(), before);
  assert.equal(await db.auditLog.count(), 0);

  // The same captured post from the admin does work: the replay is faithful.
  const disable = captured[0]!;
  const adminCookies = await cookieHeader(adminSession.context);
  assert.equal((await replaySubmission(disable, web.url, adminCookies)).status, 200);
  assert.equal((await db.account.findUniqueOrThrow({ where: { id: target.id } })).disabled, true);
});
