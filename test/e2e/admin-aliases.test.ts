// Aliases and mailing lists from the admin dashboard in Chromium, with the
// effect checked over real SMTP: a new alias receives mail, a list fans out
// (List-Id on every copy, local and remote), a members-only list refuses a
// non-member, edits and deletion take effect; conflicts and bad targets are
// refused with clear errors; non-admins cannot use the page or its actions.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { MX_HOSTNAME, sendOnce, simpleMessage, startTestGateway } from "../helpers/smtp-harness.ts";
import { startSmtpPeer } from "../helpers/smtp-peer.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import { seriousAxeViolations } from "../helpers/mail.ts";
import {
  assertActionAdminOnly,
  assertPageAdminOnly,
  interceptServerAction,
  replayAction,
  signInAs,
  waitForHydration,
} from "../helpers/admin-access.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { parseConfig } = await import("../../lib/config/index.ts");
const { createStaticResolver } = await import("../../lib/dns/resolver.ts");
const { hostedDkimTable, signedIfHosted } = await import("../helpers/hosted-signature.ts");
const admin = await makeAccount("boss", { role: "ADMIN" });
const bob = await makeAccount("bob");
const carol = await makeAccount("carol");
const peer = await startSmtpPeer();
const gateway = await startTestGateway({
  resolver: createStaticResolver(await hostedDkimTable()),
  config: parseConfig({
    ...process.env,
    MAIL_DOMAIN: "mail.test",
    MAIL_HOSTNAME: MX_HOSTNAME,
    RELAY_ROUTES: `peer.test=127.0.0.1:${peer.port}`,
    RELAY_POLL_SECONDS: "0.2",
  }),
});
const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
const adminContext = await newContext(browser, web.url);
// The machine is shared: the first pages of a fresh server can be slow.
adminContext.setDefaultTimeout(45_000);
const page = await adminContext.newPage();
await signInAs(page, admin.address);
const userContext = await newContext(browser, web.url);
userContext.setDefaultTimeout(45_000);
await signInAs(await userContext.newPage(), bob.address);

async function send(from: string, to: string, subject: string) {
  // A member's post from outside carries the domain's signature, as one through submission does.
  const message = await signedIfHosted(simpleMessage({ from, to, subject }), from);
  return sendOnce(gateway.smtpPort, { from, to: [to] }, message);
}

async function inboxCopy(accountId: string, subject: string) {
  return db.message.findFirst({
    where: { accountId, subject, mailbox: { specialUse: "INBOX" } },
    include: { source: { select: { raw: true } } },
  });
}

async function fillNew(
  p: Page,
  fields: {
    address: string;
    kind?: "alias" | "list";
    targets: string;
    owner?: string;
    membersOnly?: boolean;
  },
) {
  const form = p.getByRole("form", { name: "New alias or list" });
  await form.getByLabel("Address", { exact: true }).fill(fields.address);
  await form.getByLabel(fields.kind === "list" ? "Mailing list" : "Alias (forwards)").check();
  await form.getByLabel("Targets or members").fill(fields.targets);
  await form.getByLabel("Owner account").fill(fields.owner ?? "");
  if (fields.membersOnly) await form.getByLabel("Members only may post").check();
  return form;
}

test("a new alias receives mail over SMTP", async () => {
  await page.goto("/admin/aliases");
  await waitForHydration(page, "[data-testid=alias-row] form, .admin-form");
  const form = await fillNew(page, {
    address: "team@mail.test",
    targets: bob.address,
    owner: bob.address,
  });
  await form.getByRole("button", { name: "Create" }).click();
  await form.getByRole("status").filter({ hasText: "Created alias team@mail.test." }).waitFor();
  await page.getByTestId("alias-row").filter({ hasText: "team@mail.test" }).waitFor();

  const result = await send("someone@example.org", "team@mail.test", "To the team");
  assert.equal(result.final?.code, 250, result.final?.text);
  assert.ok(await inboxCopy(bob.id, "To the team"), "bob got the alias's mail");
  const audit = await db.auditLog.findFirst({
    where: { action: "alias.create", target: "team@mail.test" },
  });
  assert.equal(audit?.actor, admin.address);
});

test("conflicts and bad targets are refused with clear errors", async () => {
  await page.goto("/admin/aliases");
  await waitForHydration(page, "[data-testid=alias-row] form, .admin-form");
  const cases: [Parameters<typeof fillNew>[1], string][] = [
    [{ address: bob.address, targets: carol.address }, "bob@mail.test is an account's address."],
    [
      { address: "team@mail.test", targets: carol.address },
      "team@mail.test is already an alias or list.",
    ],
    [{ address: "x@elsewhere.test", targets: carol.address }, "elsewhere.test is not hosted here."],
    [{ address: "y@mail.test", targets: "not an address" }, "“not an address” is not an address."],
    [
      { address: "y@mail.test", targets: "ghost@mail.test" },
      "ghost@mail.test is on a domain hosted here but names no account, alias or list.",
    ],
    [{ address: "y@mail.test", targets: "y@mail.test" }, "y@mail.test cannot forward to itself."],
  ];
  for (const [fields, message] of cases) {
    const form = await fillNew(page, fields);
    await form.getByRole("button", { name: "Create" }).click();
    await form.getByRole("alert").filter({ hasText: message }).waitFor();
  }
  assert.equal(await db.alias.count(), 1, "only the team alias exists");
});

test("a members-only list fans out with List-Id and refuses non-members", async () => {
  await page.goto("/admin/aliases");
  await waitForHydration(page, "[data-testid=alias-row] form, .admin-form");
  const form = await fillNew(page, {
    address: "devs@mail.test",
    kind: "list",
    targets: `${bob.address}\n${carol.address}, friend@peer.test`,
    membersOnly: true,
  });
  await form.getByRole("button", { name: "Create" }).click();
  await form.getByRole("status").filter({ hasText: "Created list devs@mail.test." }).waitFor();

  const refused = await send("stranger@example.org", "devs@mail.test", "Spam to the list");
  assert.equal(refused.rcpt[0]?.code, 550, refused.rcpt[0]?.text);
  assert.match(refused.rcpt[0]!.text, /5\.7\.1/);

  const posted = await send(bob.address, "devs@mail.test", "Release plan");
  assert.equal(posted.final?.code, 250, posted.final?.text);
  for (const member of [bob, carol]) {
    const copy = await inboxCopy(member.id, "Release plan");
    assert.ok(copy, `${member.address} got the list mail`);
    assert.match(Buffer.from(copy.source.raw).toString(), /^List-Id: .*<devs\.mail\.test>/im);
  }
  await peer.waitForMessages(1);
  assert.deepEqual(peer.received[0]!.rcptTo, ["friend@peer.test"]);
  assert.match(peer.received[0]!.raw.toString(), /^List-Id: .*<devs\.mail\.test>/im);
});

test("editing targets and deleting take effect; non-admins cannot do either", async () => {
  await page.goto("/admin/aliases");
  await waitForHydration(page, "[data-testid=alias-row] form, .admin-form");
  const row = page.getByTestId("alias-row").filter({ hasText: "team@mail.test" });
  await row.getByText("Edit", { exact: true }).click();
  const edit = row.getByRole("form", { name: "Edit team@mail.test" });
  await edit.getByLabel("Targets or members").fill(`${carol.address}\nfar@peer.test`);
  const update = await interceptServerAction(page, () =>
    edit.getByRole("button", { name: "Save" }).click(),
  );
  await assertActionAdminOnly(web.url, update, userContext);
  const targets = () =>
    db.aliasTarget.findMany({
      where: { alias: { address: "team@mail.test" } },
      orderBy: { address: "asc" },
    });
  assert.deepEqual(
    (await targets()).map((t) => t.address),
    [bob.address],
    "unchanged by non-admins",
  );
  assert.equal(await replayAction(update, adminContext), 200);
  assert.deepEqual(
    (await targets()).map((t) => t.address),
    [carol.address, "far@peer.test"],
  );

  const result = await send("someone@example.org", "team@mail.test", "After the edit");
  assert.equal(result.final?.code, 250);
  assert.ok(await inboxCopy(carol.id, "After the edit"));
  assert.equal(await inboxCopy(bob.id, "After the edit"), null);

  await page.goto("/admin/aliases");

  await waitForHydration(page, "[data-testid=alias-row] form, .admin-form");
  page.once("dialog", (dialog) => void dialog.accept());
  const remove = await interceptServerAction(page, () =>
    page.getByRole("button", { name: "Delete team@mail.test" }).click(),
  );
  await assertActionAdminOnly(web.url, remove, userContext);
  assert.equal(await db.alias.count({ where: { address: "team@mail.test" } }), 1);
  await page.goto("/admin/aliases");
  await waitForHydration(page, "[data-testid=alias-row] form, .admin-form");
  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByRole("button", { name: "Delete team@mail.test" }).click();
  await page
    .getByTestId("alias-row")
    .filter({ hasText: "team@mail.test" })
    .waitFor({ state: "detached" });
  assert.equal(await db.alias.count({ where: { address: "team@mail.test" } }), 0);
  const gone = await send("someone@example.org", "team@mail.test", "After deletion");
  assert.equal(gone.rcpt[0]?.code, 550);
  assert.match(gone.rcpt[0]!.text, /5\.1\.1/);
});

test("creating is refused to non-admins; the page is admin-only", async () => {
  await assertPageAdminOnly(web.url, "/admin/aliases", userContext);
  await page.goto("/admin/aliases");
  await waitForHydration(page, "[data-testid=alias-row] form, .admin-form");
  assert.deepEqual(await seriousAxeViolations(page), []);
  await fillNew(page, { address: "sneaky@mail.test", targets: bob.address });
  const create = await interceptServerAction(page, () =>
    page.getByRole("button", { name: "Create" }).click(),
  );
  await assertActionAdminOnly(web.url, create, userContext);
  assert.equal(await db.alias.count({ where: { address: "sneaky@mail.test" } }), 0);
  assert.equal(await replayAction(create, adminContext), 200);
  assert.equal(await db.alias.count({ where: { address: "sneaky@mail.test" } }), 1);
});
