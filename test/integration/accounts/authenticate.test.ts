import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";

await useTestDatabase();
const { authenticate, getSessionAccount } = await import("../../../lib/accounts/authenticate.ts");
const manage = await import("../../../lib/accounts/manage.ts");
const { UserError } = await import("../../../lib/errors.ts");

const web = (ip: string) => ({ ip, protocol: "web" as const });

async function failsWith(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (e: unknown) => e instanceof UserError && e.code === code);
}

test("right password signs in, wrong one does not say which part was wrong", async () => {
  await makeAccount("erin");
  const account = await authenticate("Erin@Mail.Test", TEST_PASSWORD, web("203.0.113.1"));
  assert.equal(account.address, "erin@mail.test");
  await failsWith(
    authenticate("erin@mail.test", "wrong password!", web("203.0.113.1")),
    "invalid_credentials",
  );
  await failsWith(
    authenticate("nobody@mail.test", TEST_PASSWORD, web("203.0.113.1")),
    "invalid_credentials",
  );
});

test("five failures lock the account for everyone, even with the right password", async () => {
  await makeAccount("frank");
  for (let i = 0; i < 5; i++) {
    await failsWith(
      authenticate("frank@mail.test", `guess number ${i}`, web(`203.0.113.${10 + i}`)),
      "invalid_credentials",
    );
  }
  await failsWith(authenticate("frank@mail.test", TEST_PASSWORD, web("203.0.113.99")), "throttled");
});

test("twenty failures from one client address lock that address out", async () => {
  await makeAccount("gina");
  for (let i = 0; i < 20; i++) {
    await failsWith(
      authenticate(`someone${i}@mail.test`, "not the password", web("198.51.100.20")),
      "invalid_credentials",
    );
  }
  await failsWith(authenticate("gina@mail.test", TEST_PASSWORD, web("198.51.100.20")), "throttled");
  await authenticate("gina@mail.test", TEST_PASSWORD, web("198.51.100.21"));
});

test("a disabled account cannot sign in and its sessions stop", async () => {
  await makeAccount("hank");
  const account = await authenticate("hank@mail.test", TEST_PASSWORD, web("203.0.113.50"));
  assert.ok(await getSessionAccount(account.id, account.sessionVersion));
  await manage.setAccountDisabled("hank@mail.test", true);
  assert.equal(await getSessionAccount(account.id, account.sessionVersion), null);
  await failsWith(
    authenticate("hank@mail.test", TEST_PASSWORD, web("203.0.113.50")),
    "account_disabled",
  );
  // A wrong password on a disabled account reveals nothing about its state.
  await failsWith(
    authenticate("hank@mail.test", "wrong password!", web("203.0.113.50")),
    "invalid_credentials",
  );
  await manage.setAccountDisabled("hank@mail.test", false);
  // Re-enabling does not revive old sessions: they carry the old version.
  assert.equal(await getSessionAccount(account.id, account.sessionVersion), null);
  const again = await authenticate("hank@mail.test", TEST_PASSWORD, web("203.0.113.50"));
  assert.ok(await getSessionAccount(again.id, again.sessionVersion));
});

test("a password change signs out existing sessions", async () => {
  await makeAccount("ivy");
  const account = await authenticate("ivy@mail.test", TEST_PASSWORD, web("203.0.113.60"));
  await manage.setAccountPassword("ivy@mail.test", "a different long passphrase");
  assert.equal(await getSessionAccount(account.id, account.sessionVersion), null);
  await failsWith(
    authenticate("ivy@mail.test", TEST_PASSWORD, web("203.0.113.60")),
    "invalid_credentials",
  );
  await authenticate("ivy@mail.test", "a different long passphrase", web("203.0.113.60"));
});
