// Text Postgres cannot hold (a NUL, or a string that is not well-formed
// UTF-16: a lone surrogate, which JSON payloads of server actions can carry)
// at every lib boundary the web app and the admin CLI call, against a real
// database: each is refused with a UserError naming the field (or finds
// nothing, for lookups and suggestions), never a database error, and
// nothing is stored with U+FFFD in its place.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { assertUserError } from "../../helpers/user-error.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { signUp } = await import("../../../lib/accounts/signup.ts");
const { createAccount } = await import("../../../lib/accounts/create-account.ts");
const { updateProfile, updateVacation, changePassword } =
  await import("../../../lib/accounts/user-settings.ts");
const { createFolder, renameFolder } = await import("../../../lib/store/folders.ts");
const { searchMessages } = await import("../../../lib/search/search-messages.ts");
const { trustImagesFrom, getMailPreferences } =
  await import("../../../lib/store/mail-preferences.ts");
const { suggestContacts } = await import("../../../lib/compose/contacts.ts");
const { composeSchema } = await import("../../../lib/compose/model.ts");
const { resolveRecipient } = await import("../../../lib/delivery/resolve-recipient.ts");
const { listAccounts } = await import("../../../lib/accounts/list-accounts.ts");
const manage = await import("../../../lib/accounts/manage.ts");
const { createAlias, listAliases } = await import("../../../lib/admin/aliases.ts");
const { listAuditLog } = await import("../../../lib/admin/audit.ts");
const { listQueue, retryNow } = await import("../../../lib/admin/queue.ts");
const domains = await import("../../../lib/accounts/manage-domains.ts");
const { rotateDkimKey } = await import("../../../lib/dkim/keys.ts");
const { createInvite } = await import("../../../lib/accounts/invites.ts");

const NUL = "a\u0000b";
const LONE = "a\ud800b";
const BAD = [NUL, LONE];
const refused = (promise: Promise<unknown>, field?: string) =>
  assertUserError(promise, "invalid_input", {
    field,
    message: /NUL character or invalid Unicode/,
  });

const erin = await makeAccount("erin");
let ip = 0;
const freshIp = () => ({ ip: `198.51.100.${++ip}` });
const signup = {
  localPart: "newbie",
  domain: "mail.test",
  displayName: "New",
  password: "a long enough passphrase",
};

test("signup and account creation: display name, domain and password", async () => {
  for (const bad of BAD) {
    await refused(signUp({ ...signup, displayName: bad }, freshIp()), "displayName");
    await assertUserError(signUp({ ...signup, domain: bad }, freshIp()), "domain_not_hosted");
    await assertUserError(
      signUp({ ...signup, password: `long enough ${bad} phrase` }, freshIp()),
      "weak_password",
      { message: /cannot contain NUL characters or invalid Unicode/ },
    );
    // The one path for signup, the dashboard and the CLI refuses it too.
    await refused(
      createAccount({ localPart: "made", domain: "mail.test", displayName: bad, password: "x" }),
      "displayName",
    );
  }
  assert.equal(await db.account.count({ where: { localPart: { in: ["newbie", "made"] } } }), 0);
});

test("settings: display name, signature, vacation subject and text, new password", async () => {
  const vacation = {
    enabled: true,
    subject: "Away",
    body: "Back soon",
    startDate: "",
    endDate: "",
    timeZone: "UTC",
    replyIntervalDays: 4,
  };
  for (const bad of BAD) {
    await refused(updateProfile(erin.id, { displayName: bad, signature: "" }), "displayName");
    await refused(updateProfile(erin.id, { displayName: "Erin", signature: bad }), "signature");
    await refused(updateVacation(erin.id, { ...vacation, subject: bad }), "subject");
    await refused(updateVacation(erin.id, { ...vacation, body: bad }), "body");
    await assertUserError(
      changePassword(
        erin.id,
        { currentPassword: TEST_PASSWORD, newPassword: `long enough ${bad} phrase` },
        freshIp(),
      ),
      "weak_password",
      { field: "newPassword" },
    );
  }
  const stored = await db.account.findUniqueOrThrow({ where: { id: erin.id } });
  assert.equal(stored.displayName, "erin");
  assert.equal(await db.vacationResponder.count(), 0);
});

test("webmail: folder names, the search box, trusted senders, contact suggestions", async () => {
  const mine = await createFolder(erin.id, "Mine");
  for (const bad of BAD) {
    await refused(createFolder(erin.id, bad), "name");
    await refused(createFolder(erin.id, `Mine/${bad}`), "name");
    await refused(renameFolder(erin.id, mine.id, bad), "name");
    await refused(searchMessages(erin.id, bad), "q");
    await refused(searchMessages(erin.id, `from:${bad}`), "q");
    await refused(searchMessages(erin.id, `subject:"x ${bad}"`), "q");
    // Not an address: nothing to trust, nothing stored.
    await trustImagesFrom(erin.id, `x${bad}@example.org`);
    // No contact can match; an empty list, not an error.
    assert.deepEqual(await suggestContacts(erin.id, bad), []);
  }
  assert.deepEqual((await getMailPreferences(erin.id)).remoteImagesFrom, []);
  const names = await db.mailbox.findMany({
    where: { accountId: erin.id },
    select: { name: true },
  });
  assert.ok(
    names.every((n) => !n.name.includes("\ufffd")),
    JSON.stringify(names),
  );
});

test("composer: subject, names and addresses", async () => {
  for (const bad of BAD) {
    const issue = (value: unknown) => {
      const parsed = composeSchema.safeParse(value);
      assert.ok(!parsed.success, JSON.stringify(value));
      return parsed.error.issues[0]!;
    };
    assert.match(issue({ subject: bad }).message, /NUL character or invalid Unicode/);
    assert.match(
      issue({ to: [{ name: bad, address: "bob@example.org" }] }).message,
      /NUL character or invalid Unicode/,
    );
    assert.match(issue({ to: [{ address: `b${bad}@example.org` }] }).message, /valid email/);
    assert.match(issue({ from: `${bad}@mail.test` }).message, /valid email/);
  }
});

test("delivery: an RCPT or a composed recipient with a NUL is an invalid address", async () => {
  for (const bad of BAD) {
    const hosted = await resolveRecipient(`${bad}@mail.test`, { mailFrom: "" });
    assert.deepEqual([hosted.ok, !hosted.ok && hosted.reason], [false, "invalid_address"]);
    const foreign = await resolveRecipient(`x@${bad}.test`, { mailFrom: "" });
    assert.deepEqual([foreign.ok, !foreign.ok && foreign.reason], [false, "relay_denied"]);
  }
});

test("admin: user search, user actions, aliases, audit and queue filters", async () => {
  for (const bad of BAD) {
    await refused(listAccounts({ query: bad }), "q");
    await refused(listAccounts({ after: bad }), "after");
    await assertUserError(manage.setAccountDisabled(`x${bad}@mail.test`, true), "not_found");
    await assertUserError(manage.setAccountRole(bad, "ADMIN"), "not_found");
    await assertUserError(manage.setAccountPassword(bad, "a long enough pass"), "not_found");
    assert.equal(await manage.findAccountByAddress(bad), null);
    await refused(listAliases({ search: bad }), "q");
    await assertUserError(
      createAlias({
        address: "team@mail.test",
        kind: "alias",
        owner: `x${bad}@mail.test`,
        membersOnly: false,
        targets: ["erin@mail.test"],
      }),
      "not_found",
      { field: "owner" },
    );
    await assertUserError(
      createAlias({
        address: "team@mail.test",
        kind: "list",
        owner: "",
        membersOnly: false,
        targets: [`x${bad}@example.org`],
      }),
      "invalid_input",
      { field: "targets" },
    );
    await refused(listAuditLog({ actor: bad }));
    await refused(listAuditLog({ target: bad }));
    await refused(listAuditLog({ action: bad }));
    await refused(listQueue({ search: bad }), "q");
    await refused(listQueue({ domain: bad }), "domain");
    await refused(retryNow({ filter: { search: bad } }), "q");
  }
  assert.equal(await db.alias.count(), 0);
});

test("admin: domains, catch-alls, DKIM rotation and invites by a domain name that is no name", async () => {
  for (const bad of BAD) {
    await assertUserError(domains.addHostedDomain(`x${bad}.test`), "invalid_input");
    await assertUserError(domains.setDomainSignup(bad, false), "not_found");
    await assertUserError(domains.setDomainCatchAll(bad, null), "not_found");
    await assertUserError(domains.setDomainCatchAll("mail.test", bad), "invalid_input");
    await assertUserError(domains.removeHostedDomain(bad), "not_found");
    await assertUserError(rotateDkimKey(bad), "not_found");
    await assertUserError(
      createInvite({ domain: bad, maxUses: 1, days: 1 }, { accountId: null, label: "cli" }),
      "domain_not_hosted",
    );
  }
  // A domain that is simply not hosted is "not found" for rotation too (it was a Prisma error).
  await assertUserError(rotateDkimKey("elsewhere.test"), "not_found");
});
