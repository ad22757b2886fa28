// Crash safety (RFC 5321 §6.1: a 250 is a promise). The gateway runs as its
// own process and is SIGKILLed while a load generator sends to two
// recipients at once; afterwards every message that got 250 is stored
// exactly once for each recipient, nothing is half-delivered, counters match.
import assert from "node:assert/strict";
import { mkdtemp, readdir, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

const databaseUrl = await useTestDatabase();
const { makeAccount } = await import("../../helpers/accounts.ts");
const { spawnGateway } = await import("../../helpers/gateway-process.ts");
const { startLoad, loadMessage } = await import("../../helpers/smtp-load.ts");
const { sendOnce, simpleMessage } = await import("../../helpers/smtp-harness.ts");
const { db } = await import("../../../lib/db.ts");

const bob = await makeAccount("bob");
const carol = await makeAccount("carol");
const dataDir = await mkdtemp(path.join(tmpdir(), "mail-durability-"));

test(
  "SIGKILL under load loses no acknowledged message and leaves none half-delivered",
  { timeout: 120_000 },
  async () => {
    const gateway = await spawnGateway({ databaseUrl, dataDir });
    const load = startLoad({
      port: gateway.port,
      connections: 16,
      recipients: ["bob@mail.test", "carol@mail.test"],
      // Some messages big enough for the spool-file path, most small.
      message: (id) => loadMessage(id, id.endsWith("7") ? 300_000 : 4_000),
      idPrefix: "kill",
    });
    // Let deliveries pile up, then kill the process in the middle of them.
    const deadline = Date.now() + 30_000;
    while (load.acked.length < 150 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    gateway.child.kill("SIGKILL");
    const { signal } = await gateway.exited;
    assert.equal(signal, "SIGKILL");
    load.stop();
    await load.done;
    assert.ok(
      load.acked.length >= 150,
      `only ${load.acked.length} messages acknowledged before the kill`,
    );

    const rows = await db.message.findMany({
      where: { messageIdHeader: { startsWith: "<kill-" } },
      select: { accountId: true, messageIdHeader: true, sourceSha256: true },
    });
    const copies = new Map<string, { accounts: string[]; sources: Set<string> }>();
    for (const row of rows) {
      const entry = copies.get(row.messageIdHeader!) ?? { accounts: [], sources: new Set() };
      entry.accounts.push(row.accountId);
      entry.sources.add(row.sourceSha256);
      copies.set(row.messageIdHeader!, entry);
    }
    // Every 250 is in the store, once per recipient.
    for (const id of load.acked) {
      const entry = copies.get(`<${id}@example.org>`);
      assert.ok(entry, `acknowledged ${id} is missing`);
      assert.deepEqual(entry.accounts.sort(), [bob.id, carol.id].sort(), `${id} copies`);
    }
    // Nothing stored is half a delivery (one recipient's copy without the other's).
    for (const [id, entry] of copies) {
      assert.deepEqual(entry.accounts.sort(), [bob.id, carol.id].sort(), `${id} is half-delivered`);
      assert.equal(entry.sources.size, 1, `${id} shares one source`);
    }
    // Folder and account counters agree with the rows, uids have no gaps.
    for (const account of [bob, carol]) {
      const inbox = await db.mailbox.findFirstOrThrow({
        where: { accountId: account.id, specialUse: "INBOX" },
      });
      const messages = await db.message.findMany({
        where: { accountId: account.id },
        orderBy: { uid: "asc" },
      });
      assert.equal(inbox.messageCount, messages.length);
      assert.equal(inbox.uidNext, messages.length + 1);
      assert.deepEqual(
        messages.map((m) => m.uid),
        messages.map((_, i) => i + 1),
      );
      const { usedBytes } = await db.account.findUniqueOrThrow({ where: { id: account.id } });
      assert.equal(usedBytes, BigInt(messages.reduce((n, m) => n + m.size, 0)));
      assert.equal(inbox.totalBytes, usedBytes);
    }
  },
);

test(
  "a restarted gateway clears the dead process's spool files and takes mail again",
  { timeout: 60_000 },
  async () => {
    const spool = path.join(dataDir, "spool");
    await mkdir(spool, { recursive: true });
    await writeFile(path.join(spool, "0b7e7a3c-0000-4000-8000-000000000000.eml"), "half a message");
    const gateway = await spawnGateway({ databaseUrl, dataDir });
    assert.ok(
      gateway.output.some((l) => /removed \d+ spool files/.test(l)),
      gateway.output.join("\n"),
    );
    assert.deepEqual(
      (await readdir(spool)).filter((n) => n.endsWith(".eml")),
      [],
    );
    const result = await sendOnce(
      gateway.port,
      { from: "alice@example.org", to: ["bob@mail.test"] },
      simpleMessage({ subject: "after the crash" }),
    );
    assert.equal(result.final?.code, 250);
    assert.equal(await db.message.count({ where: { subject: "after the crash" } }), 1);
    // SIGTERM is a graceful stop: exit code 0.
    gateway.child.kill("SIGTERM");
    assert.deepEqual(await gateway.exited, { code: 0, signal: null });
  },
);
