// Preview lines of mail stored before the rule changed are made again from
// the stored sources, for every copy of a shared source, through the admin
// CLI; a second run changes nothing.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { buildMail, deliverRaw } from "../../helpers/mail.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../../lib/db.ts");

const root = path.resolve(import.meta.dirname, "../../..");
async function refreshCli(): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", path.join(root, "scripts/admin.ts"), "refresh-previews"],
    { cwd: root, env: { ...process.env, NODE_TEST_CONTEXT: "", DATABASE_URL: databaseUrl } },
  );
  return stdout;
}

test("refresh-previews makes stored preview lines again from their sources", async () => {
  const ann = await makeAccount("ann");
  const bob = await makeAccount("bob");
  const raw = await buildMail({
    from: "Shop <news@shop.example>",
    to: `${ann.address}, ${bob.address}`,
    subject: "Sale",
    html: '<a href="http://tracker.example/c?u=1"><img src="http://img.example/logo.png" alt="Shop"></a><p>Half <a href="http://tracker.example/c?u=2">price</a> today</p>',
  });
  const copies = await deliverRaw([ann.id, bob.id], raw);
  const plain = await deliverRaw(
    [ann.id],
    await buildMail({ to: ann.address, text: "Plain words" }),
  );
  // What the old rule (mailparser's HTML-to-text) had stored.
  const old =
    "Shop [http://img.example/logo.png]http://tracker.example/c?u=1 Half price [http://tracker.example/c?u=2] today";
  await db.message.updateMany({ where: { subject: "Sale" }, data: { snippet: old } });

  const out = await refreshCli();
  assert.match(out, /3 source\(s\) read, 2 preview line\(s\) changed/);
  const snippets = await db.message.findMany({
    where: { id: { in: [...copies, ...plain].map((c) => c.messageId) } },
    select: { snippet: true },
    orderBy: { snippet: "asc" },
  });
  assert.deepEqual(
    snippets.map((m) => m.snippet),
    ["Half price today", "Half price today", "Plain words"],
  );
  assert.match(await refreshCli(), /0 preview line\(s\) changed/);
});
