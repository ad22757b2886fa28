// Every message of the shared MIME corpus (../shared/corpus/mime), delivered
// over SMTP like the inbound corpus test, then fetched with Python's poplib:
// RETR equals the stored source byte for byte (after poplib's unstuffing),
// its octet count is the stored size, and TOP n 0 is exactly the header.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { createHash } from "node:crypto";
import { useTestDatabase } from "../../helpers/db.ts";
import { MIME_CORPUS_DIR, mimeCorpusFiles } from "../../helpers/corpus.ts";

await useTestDatabase();
const { makeAccount, TEST_PASSWORD } = await import("../../helpers/accounts.ts");
const { connectNodemailer } = await import("../../helpers/smtp-clients.ts");
const { startPop3Gateway, poplib } = await import("../../helpers/pop3.ts");
const { findHeaderEnd } = await import("../../../lib/mime/headers.ts");
const { db } = await import("../../../lib/db.ts");

const files = await mimeCorpusFiles();
const gateway = await startPop3Gateway({ insecure: true });
const rae = await makeAccount("rae");

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

test("every corpus message is fetched over POP3 byte-exact", async () => {
  assert.ok(files.length >= 100, `${files.length} corpus messages in ${MIME_CORPUS_DIR}`);
  const smtp = await connectNodemailer(gateway.smtpPort);
  try {
    for (const file of files) {
      const info = await smtp.send(
        { from: "corpus@example.org", to: [rae.address] },
        await readFile(file),
      );
      assert.match(info.response, /^250 /, path.relative(MIME_CORPUS_DIR, file));
    }
  } finally {
    smtp.close();
  }
  const stored = await db.message.findMany({
    where: { accountId: rae.id, mailbox: { specialUse: "INBOX" } },
    orderBy: { uid: "asc" },
    select: { source: { select: { raw: true } } },
  });
  assert.equal(stored.length, files.length);

  const fetched = await poplib<{ octets: number; sha256: string; header: string }[]>(
    `
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=30)
p.user(sys.argv[2]); p.pass_(sys.argv[3])
count = p.stat()[0]
out = []
for i in range(1, count + 1):
    resp, lines, _ = p.retr(i)
    body = b"\\r\\n".join(lines) + b"\\r\\n"
    header = b"\\r\\n".join(p.top(i, 0)[1]) + b"\\r\\n"
    out.append({"octets": int(resp.split()[1]), "sha256": hashlib.sha256(body).hexdigest(),
                "header": hashlib.sha256(header).hexdigest()})
p.quit()
print(json.dumps(out))
`,
    [String(gateway.pop3Port), rae.address, TEST_PASSWORD],
  );
  assert.equal(fetched.length, stored.length);
  stored.forEach(({ source }, i) => {
    const raw = Buffer.from(source.raw);
    assert.equal(fetched[i]!.octets, raw.length, `message ${i + 1} octets`);
    assert.equal(fetched[i]!.sha256, sha256(raw), `message ${i + 1} byte-exact`);
    const headerEnd = findHeaderEnd(raw);
    assert.equal(
      fetched[i]!.header,
      sha256(raw.subarray(0, headerEnd === -1 ? raw.length : headerEnd)),
      `message ${i + 1} TOP 0`,
    );
  });
});
