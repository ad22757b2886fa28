// Passkeys' verification core (lib/accounts/passkeys.ts) against a real
// Postgres, with a software authenticator (test/helpers/soft-authenticator.ts):
// adding one turns two-step on (recovery codes, mail clients then need app
// passwords); each challenge works once, for its purpose and account only;
// another account's credential, a wrong origin and a counter that went back
// (a cloned authenticator) are refused; passwordless sign-in only with a
// passkey chosen for it; removal asks for the password or a code, and the
// last factor removed turns two-step off.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { assertUserError } from "../../helpers/user-error.ts";
import { SoftAuthenticator } from "../../helpers/soft-authenticator.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const passkeys = await import("../../../lib/accounts/passkeys.ts");
const { authenticate } = await import("../../../lib/accounts/authenticate.ts");

const ORIGIN = "http://localhost:3000";
const rp = passkeys.relyingPartyFor(ORIGIN);
const client = { ip: "192.0.2.7", userAgent: "test" };

async function addPasskey(
  accountId: string,
  authenticator: SoftAuthenticator,
  options: { passwordless?: boolean; name?: string } = {},
) {
  const passwordless = options.passwordless ?? false;
  const creation = await passkeys.startPasskeyRegistration(accountId, rp, { passwordless });
  const response = authenticator.create(creation);
  return passkeys.finishPasskeyRegistration(accountId, rp, {
    name: options.name ?? "Laptop",
    passwordless,
    response,
  });
}

const secondStep = (accountId: string) => ({ purpose: "second-step", accountId }) as const;

test("relying party: the request's host is the RP ID and its origin is expected", () => {
  assert.deepEqual(passkeys.relyingPartyFor("http://localhost:3000"), {
    id: "localhost",
    origin: "http://localhost:3000",
    name: "Mail",
  });
  assert.equal(passkeys.relyingPartyFor("https://Mail.Example.org").id, "mail.example.org");
});

test("the first passkey turns two-step on; mail clients then need app passwords", async () => {
  const account = await makeAccount("pat");
  const key = new SoftAuthenticator(ORIGIN);
  const added = await addPasskey(account.id, key);
  assert.equal(added.passkey.name, "Laptop");
  assert.equal(added.recoveryCodes?.length, 10);
  const stored = await db.account.findUniqueOrThrow({
    where: { id: account.id },
    select: { twoStepEnabledAt: true, _count: { select: { recoveryCodes: true } } },
  });
  assert.ok(stored.twoStepEnabledAt);
  assert.equal(stored._count.recoveryCodes, 10);
  await assertUserError(
    authenticate(account.address, TEST_PASSWORD, { protocol: "imap", ip: "192.0.2.8" }),
    "app_password_required",
  );
  // A second passkey brings no new codes.
  const again = await addPasskey(account.id, new SoftAuthenticator(ORIGIN), { name: "Key" });
  assert.equal(again.recoveryCodes, null);
  assert.deepEqual(
    (await passkeys.listPasskeys(account.id)).map((p) => p.name),
    ["Laptop", "Key"],
  );
  // The registration challenge is gone: its answer cannot add the passkey twice.
  assert.equal(await db.webAuthnChallenge.count({ where: { accountId: account.id } }), 0);
});

test("a registration answer is refused when replayed, from another origin, or for another account", async () => {
  const account = await makeAccount("quin");
  const other = await makeAccount("quentin");
  const key = new SoftAuthenticator(ORIGIN);
  const creation = await passkeys.startPasskeyRegistration(account.id, rp, { passwordless: false });
  const response = key.create(creation);
  // The other account cannot use this account's challenge.
  await assertUserError(
    passkeys.finishPasskeyRegistration(other.id, rp, { name: "x", passwordless: false, response }),
    "invalid_credentials",
  );
  // A wrong origin (a phishing site's) is refused, and its challenge was used up.
  const creation2 = await passkeys.startPasskeyRegistration(account.id, rp, {
    passwordless: false,
  });
  const phished = key.create(creation2, "http://evil.example");
  await assertUserError(
    passkeys.finishPasskeyRegistration(account.id, rp, {
      name: "x",
      passwordless: false,
      response: phished,
    }),
    "invalid_credentials",
    { message: /origin/i },
  );
  await passkeys.finishPasskeyRegistration(account.id, rp, {
    name: "ok",
    passwordless: false,
    response,
  });
  await assertUserError(
    passkeys.finishPasskeyRegistration(account.id, rp, {
      name: "x",
      passwordless: false,
      response,
    }),
    "invalid_credentials",
  );
  assert.equal((await passkeys.listPasskeys(account.id)).length, 1);
});

test("second step: a replayed challenge, another account's credential and a counter regression are refused", async () => {
  const account = await makeAccount("rae");
  const other = await makeAccount("ray");
  const key = new SoftAuthenticator(ORIGIN);
  const otherKey = new SoftAuthenticator(ORIGIN);
  await addPasskey(account.id, key);
  await addPasskey(other.id, otherKey);

  const options = await passkeys.startPasskeySignIn(rp, secondStep(account.id));
  assert.equal(options.allowCredentials?.length, 1);
  const answer = key.get(options);
  const signedIn = await passkeys.verifyPasskeySignIn(rp, answer, secondStep(account.id), client);
  assert.equal(signedIn.id, account.id);
  const row = await db.passkey.findFirstOrThrow({ where: { accountId: account.id } });
  assert.equal(row.counter, 1n);
  assert.ok(row.lastUsedAt);

  // The same answer again: its challenge is used up.
  await assertUserError(
    passkeys.verifyPasskeySignIn(rp, answer, secondStep(account.id), client),
    "invalid_credentials",
    { message: /used or timed out/ },
  );

  // Another account's passkey does not pass this account's second step.
  const options2 = await passkeys.startPasskeySignIn(rp, secondStep(account.id));
  await assertUserError(
    passkeys.verifyPasskeySignIn(rp, otherKey.get(options2), secondStep(account.id), client),
    "invalid_credentials",
    { message: /not one of this account's/ },
  );
  // Nor does a challenge made for the other account.
  const othersOptions = await passkeys.startPasskeySignIn(rp, secondStep(other.id));
  await assertUserError(
    passkeys.verifyPasskeySignIn(rp, key.get(othersOptions), secondStep(account.id), client),
    "invalid_credentials",
    { message: /used or timed out/ },
  );

  // A clone whose counter is behind the stored one is refused.
  const options3 = await passkeys.startPasskeySignIn(rp, secondStep(account.id));
  await passkeys.verifyPasskeySignIn(rp, key.get(options3), secondStep(account.id), client);
  key.credentials[0]!.counter = 1;
  const options4 = await passkeys.startPasskeySignIn(rp, secondStep(account.id));
  await assertUserError(
    passkeys.verifyPasskeySignIn(rp, key.get(options4), secondStep(account.id), client),
    "invalid_credentials",
    { message: /counter/ },
  );
  assert.equal(
    (await db.passkey.findFirstOrThrow({ where: { accountId: account.id } })).counter,
    3n,
  );

  // An expired challenge is refused.
  const options5 = await passkeys.startPasskeySignIn(rp, secondStep(account.id));
  await db.webAuthnChallenge.updateMany({
    where: { challenge: options5.challenge },
    data: { expiresAt: new Date(Date.now() - 1000) },
  });
  key.credentials[0]!.counter = 10;
  await assertUserError(
    passkeys.verifyPasskeySignIn(rp, key.get(options5), secondStep(account.id), client),
    "invalid_credentials",
    { message: /used or timed out/ },
  );

  const events = await db.signInEvent.findMany({
    where: { accountId: account.id, protocol: "web-2fa-passkey" },
  });
  assert.ok(events.some((e) => e.outcome === "SUCCESS"));
  assert.ok(events.some((e) => e.outcome === "FAILURE"));
});

test("passwordless: only a passkey chosen for it signs in, and a register challenge does not serve", async () => {
  const account = await makeAccount("sal");
  const secondOnly = new SoftAuthenticator(ORIGIN);
  const discoverable = new SoftAuthenticator(ORIGIN);
  await addPasskey(account.id, secondOnly);
  await addPasskey(account.id, discoverable, { passwordless: true, name: "Phone" });

  const options = await passkeys.startPasskeySignIn(rp, { purpose: "passwordless" });
  assert.equal(options.allowCredentials?.length ?? 0, 0);
  assert.equal(options.userVerification, "required");
  await assertUserError(
    passkeys.verifyPasskeySignIn(rp, secondOnly.get(options), { purpose: "passwordless" }, client),
    "invalid_credentials",
    { message: /second step/ },
  );
  const options2 = await passkeys.startPasskeySignIn(rp, { purpose: "passwordless" });
  const signedIn = await passkeys.verifyPasskeySignIn(
    rp,
    discoverable.get(options2),
    { purpose: "passwordless" },
    client,
  );
  assert.equal(signedIn.address, account.address);
  const success = await db.signInEvent.count({
    where: { accountId: account.id, protocol: "web-passkey", outcome: "SUCCESS" },
  });
  assert.equal(success, 1);

  // A registration's challenge is not a sign-in's.
  const creation = await passkeys.startPasskeyRegistration(account.id, rp, { passwordless: true });
  await assertUserError(
    passkeys.verifyPasskeySignIn(
      rp,
      discoverable.get({ challenge: creation.challenge, rpId: rp.id }),
      { purpose: "passwordless" },
      client,
    ),
    "invalid_credentials",
    { message: /used or timed out/ },
  );

  // A disabled account does not sign in with its passkey.
  await db.account.update({ where: { id: account.id }, data: { disabled: true } });
  const options3 = await passkeys.startPasskeySignIn(rp, { purpose: "passwordless" });
  await assertUserError(
    passkeys.verifyPasskeySignIn(
      rp,
      discoverable.get(options3),
      { purpose: "passwordless" },
      client,
    ),
    "account_disabled",
  );
});

test("rename and removal are the account's own; removal asks for the password or a code", async () => {
  const account = await makeAccount("ted");
  const other = await makeAccount("tess");
  const added = await addPasskey(account.id, new SoftAuthenticator(ORIGIN));
  const id = added.passkey.id;
  await assertUserError(passkeys.renamePasskey(other.id, id, "Mine"), "not_found");
  await assertUserError(passkeys.renamePasskey(account.id, id, "  "), "invalid_input", {
    field: "name",
  });
  await passkeys.renamePasskey(account.id, id, "Work laptop");
  assert.equal((await passkeys.listPasskeys(account.id))[0]!.name, "Work laptop");

  await assertUserError(
    passkeys.removePasskey(other.id, id, { password: TEST_PASSWORD }, client),
    "not_found",
  );
  await assertUserError(passkeys.removePasskey(account.id, id, {}, client), "invalid_input");
  await assertUserError(
    passkeys.removePasskey(account.id, id, { password: "wrong password" }, client),
    "invalid_credentials",
  );
  await assertUserError(
    passkeys.removePasskey(account.id, id, { code: "123456" }, client),
    "invalid_credentials",
  );
  assert.equal((await passkeys.listPasskeys(account.id)).length, 1);

  // A recovery code proves it too; the last factor gone, two-step is off.
  const codes = added.recoveryCodes!;
  assert.deepEqual(await passkeys.removePasskey(account.id, id, { code: codes[0]! }, client), {
    twoStepOff: true,
  });
  const stored = await db.account.findUniqueOrThrow({
    where: { id: account.id },
    select: { twoStepEnabledAt: true, _count: { select: { recoveryCodes: true, passkeys: true } } },
  });
  assert.equal(stored.twoStepEnabledAt, null);
  assert.deepEqual(stored._count, { recoveryCodes: 0, passkeys: 0 });

  // With two passkeys, removing one keeps two-step on.
  await addPasskey(account.id, new SoftAuthenticator(ORIGIN), { name: "A" });
  const b = await addPasskey(account.id, new SoftAuthenticator(ORIGIN), { name: "B" });
  assert.deepEqual(
    await passkeys.removePasskey(account.id, b.passkey.id, { password: TEST_PASSWORD }, client),
    { twoStepOff: false },
  );
  assert.ok((await db.account.findUniqueOrThrow({ where: { id: account.id } })).twoStepEnabledAt);
});
