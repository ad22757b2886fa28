// Password login and its throttle against a real Postgres: a stranger's
// failures slow down and then lock only the stranger's own network for that
// address (with growing delays), a burst of parallel guesses is counted in
// full, a flood from one network spares owners known there, locks are
// audited and lifted from the admin CLI, every attempt lands in the
// account's sign-in history, and web sessions end for good.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { adminCli } from "../../helpers/admin-cli.ts";

const databaseUrl = await useTestDatabase();
const { authenticate } = await import("../../../lib/accounts/authenticate.ts");
const sessions = await import("../../../lib/accounts/web-sessions.ts");
const throttle = await import("../../../lib/auth/login-throttle.ts");
const { listSignInEvents, recordSignInEvent } =
  await import("../../../lib/accounts/sign-in-events.ts");
const limits = await import("../../../lib/config/limits.ts");
const manage = await import("../../../lib/accounts/manage.ts");
const { UserError } = await import("../../../lib/errors.ts");
const { db } = await import("../../../lib/db.ts");

const web = (ip: string) => ({ ip, protocol: "web" as const });

async function failsWith(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (e: unknown) => e instanceof UserError && e.code === code);
}

/** Settles `work`, with how long it took. */
async function timed(work: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const start = performance.now();
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - start };
}

const codeOf = (error: unknown) => (error instanceof UserError ? error.code : String(error));

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
  await failsWith(authenticate("  ", TEST_PASSWORD, web("203.0.113.1")), "invalid_credentials");
});

test("a stranger's failures cost the stranger's network growing delays and never stop the owner elsewhere", async () => {
  await makeAccount("frank");
  // Six guesses at once: each is counted before its check, so they queue
  // behind each other's delays (0, 2, 4, 8, 15, 15 s after the previous one).
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      timed(authenticate("frank@mail.test", `guess number ${i}`, web("203.0.113.10"))),
    ),
  );
  assert.deepEqual(
    results.map((r) => codeOf(r.error)),
    Array(6).fill("invalid_credentials"),
  );
  // The owner, from home, is let in: the stranger's count is the stranger's.
  const owner = await authenticate("frank@mail.test", TEST_PASSWORD, web("198.51.100.10"));
  assert.equal(owner.address, "frank@mail.test");
  const times = results.map((r) => r.ms).sort((a, b) => a - b);
  [0, 1, 2, 3, 4, 5].forEach((failures, i) => {
    const least = throttle.pairDelayMs(failures) - 100;
    assert.ok(times[i]! >= least, `attempt ${i + 1} answered after ${times[i]} ms, not ${least}`);
  });
  const [state] = await throttle.listAddressThrottles("frank@mail.test");
  assert.equal(state?.network, "203.0.113.10");
  assert.equal(state?.failures, 6);
  assert.equal(state?.lockedUntil, null);
});

test("the owner's parallel sign-ins (a mail client's connections) do not slow or lock each other", async () => {
  const tess = await makeAccount("tess");
  const ip = "203.0.113.30";
  // Thunderbird was set up from here once: the network is known for the account.
  await throttle.loginSucceeded(
    await throttle.beginLoginAttempt("tess@mail.test", ip, "imap"),
    tess.id,
  );
  // Five connections at once, as Thunderbird opens them: each is checked
  // at once, none waits for the others as if they had failed.
  const attempts = await Promise.all(
    Array.from({ length: 5 }, () => throttle.beginLoginAttempt("tess@mail.test", ip, "imap")),
  );
  assert.deepEqual(
    attempts.map((a) => a.waitedMs),
    [0, 0, 0, 0, 0],
  );
  await Promise.all(attempts.map((a) => throttle.loginSucceeded(a, tess.id)));
  // As many as the lock allows minus one, through authenticate: all signed in.
  const logins = await Promise.all(
    Array.from({ length: limits.LOGIN_PAIR_LOCK_FAILURES - 1 }, () =>
      authenticate("tess@mail.test", TEST_PASSWORD, { ip, protocol: "imap" as const }).then(
        () => "signed in",
        codeOf,
      ),
    ),
  );
  assert.deepEqual(new Set(logins), new Set(["signed in"]));
  assert.equal(await db.loginThrottle.count({ where: { address: "tess@mail.test" } }), 0);
  // A failure still costs the next attempt its delay.
  await failsWith(authenticate("tess@mail.test", "wrong", web(ip)), "invalid_credentials");
  const next = await throttle.beginLoginAttempt("tess@mail.test", ip, "web");
  assert.equal(next.waitedMs > 0, true);
  await throttle.loginSucceeded(next, tess.id);
});

test("a pair that keeps failing is refused unchecked, only from its network, until lifted from the CLI", async () => {
  const gina = await makeAccount("gina");
  const burst = await Promise.all(
    Array.from({ length: limits.LOGIN_PAIR_LOCK_FAILURES + 2 }, (_, i) =>
      authenticate("gina@mail.test", `guess number ${i}`, web("203.0.113.20")).then(
        () => "signed in",
        codeOf,
      ),
    ),
  );
  // No burst slips more guesses past the lock than it allows.
  assert.equal(
    burst.filter((c) => c === "invalid_credentials").length,
    limits.LOGIN_PAIR_LOCK_FAILURES,
  );
  assert.equal(burst.filter((c) => c === "throttled").length, 2);

  const refused = await authenticate("gina@mail.test", TEST_PASSWORD, web("203.0.113.20")).catch(
    (e: unknown) => e,
  );
  assert.ok(refused instanceof throttle.LoginThrottledError, String(refused));
  assert.equal(refused.scope, "pair");
  assert.match(refused.message, /from your network\. Try again in 15 minutes\./);
  await authenticate("gina@mail.test", TEST_PASSWORD, web("198.51.100.20"));

  const audit = await db.auditLog.findMany({ where: { action: "signin.locked" } });
  assert.deepEqual(
    audit.map((a) => [a.target, a.ip, a.actorId]),
    [["gina@mail.test", "203.0.113.20", null]],
  );
  const events = await listSignInEvents(gina.id);
  // Concurrent attempts may each start a row before one can merge into another.
  const count = (outcome: string, ip: string) =>
    events.filter((e) => e.outcome === outcome && e.ip === ip).reduce((n, e) => n + e.count, 0);
  assert.equal(count("FAILURE", "203.0.113.20"), limits.LOGIN_PAIR_LOCK_FAILURES);
  assert.equal(count("THROTTLED", "203.0.113.20"), 3);
  assert.equal(count("SUCCESS", "198.51.100.20"), 1);

  const cli = await adminCli(databaseUrl, ["unlock", "Gina@Mail.Test"]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /sign-in throttling of gina@mail\.test lifted/);
  await authenticate("gina@mail.test", TEST_PASSWORD, web("203.0.113.20"));
  const lifted = await db.auditLog.findFirst({ where: { action: "account.unlock" } });
  assert.equal(lifted?.target, "gina@mail.test");
  assert.match(lifted?.actor ?? "", /^cli:/);
});

test("spraying from one network slows strangers there, a flood locks them out, an owner known there still signs in", async () => {
  const nat = "198.51.100.30";
  await makeAccount("hana");
  await authenticate("hana@mail.test", TEST_PASSWORD, web(nat));
  const spray = (from: number, n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        authenticate(`stranger${from + i}@mail.test`, "a guess", web(nat)).then(
          () => "signed in",
          codeOf,
        ),
      ),
    );
  const first = await spray(0, limits.LOGIN_NETWORK_FREE_FAILURES + 5);
  assert.ok(first.every((c) => c === "invalid_credentials"));
  await authenticate("hana@mail.test", TEST_PASSWORD, web(nat));

  // Past the free allowance a stranger's attempt waits for the network...
  const row = await db.loginThrottle.findUniqueOrThrow({
    where: { address_network: { address: "", network: nat } },
  });
  await failsWith(authenticate("someone@mail.test", "a guess", web(nat)), "invalid_credentials");
  const due = row.lastAttemptAt.getTime() + throttle.networkDelayMs(first.length);
  assert.ok(Date.now() >= due - 50, `answered ${due - Date.now()} ms before the network's delay`);
  // ...and the owner, who signed in from there before, does not.
  const owner = await throttle.beginLoginAttempt("hana@mail.test", nat, "web");
  assert.equal(owner.known, true);
  assert.equal(owner.waitedMs, 0);
  await throttle.loginSucceeded(owner, (await manage.findAccountByAddress("hana@mail.test"))!.id);

  // A flood: failures go on until the network is locked for strangers.
  let sent = first.length + 1;
  let locked = false;
  while (!locked && sent < limits.LOGIN_NETWORK_LOCK_FAILURES + 100) {
    const codes = await spray(sent, 150);
    sent += 150;
    locked = codes.includes("throttled");
  }
  assert.ok(locked, `${sent} failures did not lock the network`);
  const stranger = await authenticate("newcomer@mail.test", "a guess", web(nat)).catch(
    (e: unknown) => e,
  );
  assert.ok(stranger instanceof throttle.LoginThrottledError, String(stranger));
  assert.equal(stranger.scope, "network");
  assert.match(stranger.message, /^Too many failed sign-ins from your network/);
  const hana = await authenticate("hana@mail.test", TEST_PASSWORD, web(nat));
  assert.equal(hana.address, "hana@mail.test");
  const audit = await db.auditLog.findMany({ where: { action: "signin.network_locked" } });
  assert.deepEqual(
    audit.map((a) => a.target),
    [nat],
  );
});

test("sign-in events merge repeats from one client and keep only the newest per account", async () => {
  const ivy = await makeAccount("ivy");
  const event = { address: "ivy@mail.test", protocol: "imap" as const, ip: "192.0.2.1" };
  for (let i = 0; i < 3; i++) await recordSignInEvent({ ...event, outcome: "SUCCESS" });
  await recordSignInEvent({ ...event, outcome: "FAILURE" });
  await recordSignInEvent({ ...event, outcome: "SUCCESS", protocol: "pop3" });
  let events = await listSignInEvents(ivy.id);
  assert.deepEqual(
    events.map((e) => [e.outcome, e.protocol, e.count]),
    [
      ["SUCCESS", "pop3", 1],
      ["FAILURE", "imap", 1],
      ["SUCCESS", "imap", 3],
    ],
  );
  // An attack from many addresses cannot grow an account's history without bound.
  for (let i = 0; i < limits.SIGN_IN_EVENTS_KEPT + 5; i++) {
    await recordSignInEvent({ ...event, outcome: "FAILURE", ip: `10.0.${i >> 8}.${i & 255}` });
  }
  assert.equal(
    await db.signInEvent.count({ where: { accountId: ivy.id } }),
    limits.SIGN_IN_EVENTS_KEPT,
  );
  events = await listSignInEvents(ivy.id, { limit: 1 });
  assert.equal(events[0]?.ip, `10.0.0.${(limits.SIGN_IN_EVENTS_KEPT + 4) & 255}`);
  // Addresses that name no account leave nothing.
  const before = await db.signInEvent.count();
  await recordSignInEvent({ ...event, address: "nobody@mail.test", outcome: "FAILURE" });
  assert.equal(await db.signInEvent.count(), before);
});

test("a web session works until signed out; its token is refused after, and for another account", async () => {
  const jack = await makeAccount("jack");
  const kate = await makeAccount("kate");
  const account = await authenticate("jack@mail.test", TEST_PASSWORD, web("203.0.113.40"));
  const sessionId = await sessions.createWebSession(account.id, {
    ip: "203.0.113.40",
    userAgent: "Test browser",
  });
  const ref = { accountId: jack.id, sessionId, sessionVersion: account.sessionVersion };
  const live = await sessions.getSessionAccount(ref);
  assert.equal(live?.address, "jack@mail.test");
  assert.equal(live?.sessionId, sessionId);
  assert.equal(await sessions.getSessionAccount({ ...ref, accountId: kate.id }), null);
  assert.equal(await sessions.getSessionAccount({ ...ref, sessionId: "not-a-uuid" }), null);

  await sessions.endWebSession(jack.id, sessionId);
  assert.equal(await sessions.getSessionAccount(ref), null);
  assert.equal(await db.webSession.count({ where: { accountId: jack.id } }), 0);
});

test("disabling an account or changing its password ends its sessions", async () => {
  await makeAccount("hank");
  const signIn = async (password = TEST_PASSWORD) => {
    const account = await authenticate("hank@mail.test", password, web("203.0.113.50"));
    const sessionId = await sessions.createWebSession(account.id, { ip: "203.0.113.50" });
    return { accountId: account.id, sessionId, sessionVersion: account.sessionVersion };
  };
  const first = await signIn();
  assert.ok(await sessions.getSessionAccount(first));
  await manage.setAccountDisabled("hank@mail.test", true);
  assert.equal(await sessions.getSessionAccount(first), null);
  assert.equal(await db.webSession.count({ where: { accountId: first.accountId } }), 0);
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
  assert.equal(await sessions.getSessionAccount(first), null);

  const second = await signIn();
  assert.ok(await sessions.getSessionAccount(second));
  await manage.setAccountPassword("hank@mail.test", "a different long passphrase");
  assert.equal(await sessions.getSessionAccount(second), null);
  await failsWith(
    authenticate("hank@mail.test", TEST_PASSWORD, web("203.0.113.50")),
    "invalid_credentials",
  );
  assert.ok(await sessions.getSessionAccount(await signIn("a different long passphrase")));
});
