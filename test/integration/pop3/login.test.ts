// POP3 logins as in production (ALLOW_INSECURE_AUTH off): no password
// before TLS, STLS then AUTH PLAIN or USER/PASS (poplib), implicit TLS on
// the pop3s port, and lib/accounts' rules: throttling per client address and
// disabled accounts, with RFC 3206 and RFC 2449 response codes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount, TEST_PASSWORD } = await import("../../helpers/accounts.ts");
const { deliverMail } = await import("../../helpers/mail.ts");
const { startPop3Gateway, RawPop3Client, poplib } = await import("../../helpers/pop3.ts");
const { setAccountDisabled } = await import("../../../lib/accounts/manage.ts");
const { MAX_POP3_LOGIN_FAILURES } = await import("../../../lib/config/limits.ts");
const { assertStrangerThrottled } = await import("../../helpers/login-throttle.ts");

const gateway = await startPop3Gateway({ insecure: false });
const port = gateway.pop3Port;

const plain = (user: string, password: string) =>
  Buffer.from(`\0${user}\0${password}`).toString("base64");

test("before TLS: no USER or SASL in CAPA, and USER, PASS and AUTH PLAIN are refused", async () => {
  const al = await makeAccount("al");
  const { client } = await RawPop3Client.connect(port);
  const capa = (await client.multiline("CAPA")).body.toString().trim().split("\r\n");
  assert.ok(capa.includes("STLS"));
  assert.ok(!capa.includes("USER") && !capa.some((c) => c.startsWith("SASL")));
  const refused = /^-ERR \[AUTH\] Plain-text login is disabled without TLS; use STLS first$/;
  assert.match(await client.command(`USER ${al.address}`), refused);
  assert.match(await client.command(`PASS ${TEST_PASSWORD}`), refused);
  assert.match(await client.command(`AUTH PLAIN ${plain(al.address, TEST_PASSWORD)}`), refused);
  assert.match(await client.command("STAT"), /^-ERR /);
  await client.command("QUIT");
});

test("STLS then AUTH PLAIN (initial response and continuation); STLS twice is refused", async () => {
  const bea = await makeAccount("bea");
  await deliverMail(bea.id, { to: bea.address, subject: "secret" });
  const { client } = await RawPop3Client.connect(port);
  assert.equal(await client.startTls(), "+OK Begin TLS negotiation");
  const capa = (await client.multiline("CAPA")).body.toString().trim().split("\r\n");
  assert.ok(capa.includes("SASL PLAIN") && capa.includes("USER") && !capa.includes("STLS"));
  assert.equal(await client.command("STLS"), "-ERR Command not permitted when TLS active");
  assert.equal(await client.command("AUTH PLAIN"), "+ ");
  assert.equal(await client.command("*"), "-ERR Authentication cancelled");
  assert.equal(await client.command("AUTH PLAIN"), "+ ");
  assert.match(
    await client.command(plain(bea.address, TEST_PASSWORD)),
    /^\+OK bea@mail\.test has 1 messages/,
  );
  assert.match(await client.command("STAT"), /^\+OK 1 \d+$/);
  await client.command("QUIT");

  const second = (await RawPop3Client.connect(port)).client;
  await second.startTls();
  assert.match(
    await second.command(`AUTH PLAIN ${plain(bea.address, TEST_PASSWORD)}`),
    /^\+OK bea@mail\.test has 1 messages/,
  );
  await second.command("QUIT");
});

test("commands pipelined with STLS are dropped, not run after the handshake", async () => {
  const { client } = await RawPop3Client.connect(port);
  // CVE-2011-0411-style injection: the NOOP rides in the same packet as STLS.
  client.write("STLS\r\nNOOP\r\n");
  assert.equal(await client.line(), "+OK Begin TLS negotiation");
  await client.upgradeTls();
  // Had the NOOP run, its "+OK" would come first.
  assert.equal(await client.command("STAT"), "-ERR STAT is not valid in the AUTHORIZATION state");
  await client.command("QUIT");
});

test("poplib: STLS then USER/PASS, and the implicit-TLS port", async () => {
  const dee = await makeAccount("dee");
  await deliverMail(dee.id, { to: dee.address });
  const result = await poplib<{ stls: number; ssl: number; caps: string[] }>(
    `
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
p.stls(context=ctx)
p.user(sys.argv[3]); p.pass_(sys.argv[4])
stls = p.stat()[0]
p.quit()
s = poplib.POP3_SSL("127.0.0.1", int(sys.argv[2]), timeout=20, context=ctx)
caps = list(s.capa().keys())
s.user(sys.argv[3]); s.pass_(sys.argv[4])
ssl_count = s.stat()[0]
s.quit()
print(json.dumps({"stls": stls, "ssl": ssl_count, "caps": caps}))
`,
    [String(port), String(gateway.pop3TlsPort), dee.address, TEST_PASSWORD],
  );
  assert.equal(result.stls, 1);
  assert.equal(result.ssl, 1);
  assert.ok(!result.caps.includes("STLS"), "no STLS where TLS is implicit");
});

test("a disabled account is refused even with the right password", async () => {
  const eve = await makeAccount("eve");
  await setAccountDisabled(eve.address, true);
  const { client } = await RawPop3Client.connect(gateway.pop3TlsPort, { implicitTls: true });
  assert.match(await client.command(`USER ${eve.address}`), /^\+OK/);
  assert.equal(
    await client.command(`PASS ${TEST_PASSWORD}`),
    "-ERR [SYS/PERM] This account is disabled, contact your administrator",
  );
  await client.command("QUIT");
});

test("a stranger's failures close the connection, are answered later and later, then get [LOGIN-DELAY]; the owner elsewhere gets in", async () => {
  const fay = await makeAccount("fay");
  // Three failures on one connection and the server hangs up.
  const { client } = await RawPop3Client.connect(gateway.pop3TlsPort, {
    implicitTls: true,
    localAddress: "127.0.0.6",
  });
  for (let i = 0; i < MAX_POP3_LOGIN_FAILURES; i++) {
    await client.command(`USER ${fay.address}`);
    assert.equal(
      await client.command("PASS wrong password"),
      "-ERR [AUTH] Wrong address or password",
    );
  }
  assert.equal(await client.line(), "-ERR [AUTH] Too many failed logins, closing connection");
  await client.closedByServer();

  const probe = async (source: string, password: string) => {
    const { client } = await RawPop3Client.connect(gateway.pop3TlsPort, {
      implicitTls: true,
      localAddress: source,
    });
    const reply = await client.command(`AUTH PLAIN ${plain(fay.address, password)}`);
    client.destroy();
    return reply;
  };
  await assertStrangerThrottled(
    probe,
    {
      wrong: /^-ERR \[AUTH\] Wrong address or password$/,
      ok: /^\+OK fay@mail\.test has /,
      // RFC 2449 §8.1.1: not allowed to log in again until the delay has passed.
      locked:
        /^-ERR \[LOGIN-DELAY\] Too many failed sign-ins to this account from your network\. Try again in 15 minutes\.$/,
      busy: /^-ERR \[LOGIN-DELAY\] Too many sign-ins to this account are being checked at once from your network\. Try again in a moment\.$/,
    },
    { stranger: "127.0.0.4", owner: "127.0.0.5" },
  );
});
