// NUL in POP3 command lines (RFC 1939 §3: keywords and arguments are
// printable ASCII), over a raw socket: refused with -ERR in every state,
// never passed on to a login lookup, where Postgres text cannot hold it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount, TEST_PASSWORD } = await import("../../helpers/accounts.ts");
const { deliverMail } = await import("../../helpers/mail.ts");
const { startPop3Gateway, RawPop3Client } = await import("../../helpers/pop3.ts");

const gateway = await startPop3Gateway({ insecure: true });
const NUL_ERR = /^-ERR NUL is not allowed in a command$/;

async function connect() {
  const { client, greeting } = await RawPop3Client.connect(gateway.pop3Port);
  assert.match(greeting, /^\+OK /);
  return client;
}

test("a NUL in USER, PASS, AUTH or any command line is -ERR; the session goes on", async () => {
  const kim = await makeAccount("kim");
  await deliverMail(kim.id, { to: kim.address, subject: "for kim" });
  const client = await connect();
  assert.match(await client.command(`USER ki\0m@mail.test`), NUL_ERR);
  assert.match(await client.command(`USER kim@mail.test\0`), NUL_ERR);
  assert.match(await client.command("PASS whatever"), /^-ERR Send USER first$/);
  assert.match(await client.command("USER kim@mail.test"), /^\+OK/);
  assert.match(await client.command(`PASS ${TEST_PASSWORD}\0`), NUL_ERR);
  assert.match(await client.command("AUTH PL\0AIN"), NUL_ERR);
  assert.match(await client.command("\0"), NUL_ERR);
  // A refused PASS used up the USER, as a wrong one does; the right login works.
  assert.match(await client.command("USER kim@mail.test"), /^\+OK/);
  assert.match(await client.command(`PASS ${TEST_PASSWORD}`), /^\+OK kim@mail\.test has 1 /);
  assert.match(await client.command("RETR 1\0"), NUL_ERR);
  assert.match(await client.command("DELE \x001"), NUL_ERR);
  assert.match(await client.command("STAT"), /^\+OK 1 \d+$/);
  assert.match(await client.command("QUIT"), /^\+OK/);
  assert.deepEqual(
    gateway.logs.filter((l) => l.includes("failed")),
    [],
    "no command reached the database with a NUL",
  );
});

test("a NUL in the continuation of AUTH PLAIN is -ERR too", async () => {
  await makeAccount("lea");
  const client = await connect();
  assert.match(await client.command("AUTH PLAIN"), /^\+ ?$/);
  assert.match(await client.command("AG\0xlYQ=="), NUL_ERR);
  const plain = Buffer.from(`\0lea@mail.test\0${TEST_PASSWORD}`).toString("base64");
  assert.match(await client.command(`AUTH PLAIN ${plain}`), /^\+OK lea@mail\.test has 0 /);
  await client.command("QUIT");
});
