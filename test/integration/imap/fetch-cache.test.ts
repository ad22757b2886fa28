// The FETCH cache of ENVELOPE and BODYSTRUCTURE (lib/store/imap-fetch-cache.ts)
// over the whole MIME corpus: the first FETCH fills it with exactly the bytes
// computed from the source, a second FETCH answers byte for byte the same,
// and it is really read from the cache (a value planted there is what the
// client gets).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { MIME_CORPUS_DIR, mimeCorpusFiles } from "../../helpers/corpus.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { deliverRaw } from "../../helpers/mail.ts";
import { RawImapClient, startImapGateway } from "../../helpers/imap.ts";
import { buildEnvelope, parseMimeStructure } from "../../../lib/mime/mime-structure.ts";
import { parseHeaderFields } from "../../../lib/mime/headers.ts";
import { bodyStructureValue, envelopeValue } from "../../../mail-gateway/imap/fetch-data.ts";
import { encodeValueBytes } from "../../../mail-gateway/imap/write.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const gateway = await startImapGateway();

type Expected = { file: string; sha256: string; envelope: Buffer; bodyStructure: Buffer };

test("cached ENVELOPE and BODYSTRUCTURE equal the freshly computed ones for every corpus message", async () => {
  const account = await makeAccount("cachey");
  const files = await mimeCorpusFiles();
  assert.ok(files.length >= 100, `${files.length} corpus messages in ${MIME_CORPUS_DIR}`);
  const expected = new Map<number, Expected>();
  for (const file of files) {
    const raw = await readFile(file);
    const [copy] = await deliverRaw([account.id], raw);
    const row = await db.message.findFirstOrThrow({
      where: { accountId: account.id, id: copy!.messageId },
      select: { sourceSha256: true },
    });
    expected.set(copy!.uid, {
      file: path.relative(MIME_CORPUS_DIR, file),
      sha256: row.sourceSha256,
      envelope: encodeValueBytes(envelopeValue(buildEnvelope(parseHeaderFields(raw)))),
      bodyStructure: encodeValueBytes(bodyStructureValue(parseMimeStructure(raw), true)),
    });
  }
  const cached = async () =>
    new Map(
      (
        await db.messageSource.findMany({
          where: { sha256: { in: [...expected.values()].map((e) => e.sha256) } },
          select: { sha256: true, imapEnvelope: true, imapBodyStructure: true },
        })
      ).map((s) => [s.sha256, s]),
    );
  for (const source of (await cached()).values()) {
    assert.equal(source.imapEnvelope, null);
    assert.equal(source.imapBodyStructure, null);
  }

  const client = await RawImapClient.connect(gateway.imapPort);
  try {
    await client.command(`LOGIN cachey@mail.test "${TEST_PASSWORD}"`);
    await client.command("EXAMINE INBOX");
    const fetchAll = async () =>
      (await client.command("UID FETCH 1:* (ENVELOPE BODYSTRUCTURE)")).filter((l) =>
        l.startsWith("* "),
      );
    const first = await fetchAll();
    assert.equal(first.length, files.length);
    let seq = 0;
    for (const [uid, e] of [...expected].sort(([a], [b]) => a - b)) {
      seq++;
      assert.equal(
        first[seq - 1],
        `* ${seq} FETCH (UID ${uid} ENVELOPE ${e.envelope.toString("latin1")} BODYSTRUCTURE ${e.bodyStructure.toString("latin1")})`,
        `${e.file}: computed on first FETCH`,
      );
    }

    // The first FETCH filled the cache with exactly those bytes…
    const filled = await cached();
    for (const e of expected.values()) {
      const source = filled.get(e.sha256)!;
      assert.deepEqual(Buffer.from(source.imapEnvelope!), e.envelope, `${e.file}: cached ENVELOPE`);
      assert.deepEqual(
        Buffer.from(source.imapBodyStructure!),
        e.bodyStructure,
        `${e.file}: cached BODYSTRUCTURE`,
      );
    }
    // …and FETCH from the cache answers byte for byte the same.
    assert.deepEqual(await fetchAll(), first);

    // Served from the cache, not computed again: a planted value is what comes out.
    const [uid, planted] = [...expected][0]!;
    await db.messageSource.update({
      where: { sha256: planted.sha256 },
      data: {
        imapEnvelope: Buffer.from('(NIL "planted" NIL NIL NIL NIL NIL NIL NIL NIL)'),
        imapBodyStructure: Buffer.from('("TEXT" "PLAIN" NIL NIL NIL "7BIT" 0 0 NIL NIL NIL NIL)'),
      },
    });
    const reply = await client.command(`UID FETCH ${uid} (BODYSTRUCTURE ENVELOPE)`);
    assert.match(
      reply[0]!,
      /BODYSTRUCTURE \("TEXT" "PLAIN" NIL NIL NIL "7BIT" 0 0 NIL NIL NIL NIL\) ENVELOPE \(NIL "planted"/,
    );
    // BODY (without extension data) is not cached: computed from the source.
    const body = await client.command(`UID FETCH ${uid} (BODY)`);
    assert.ok(!body[0]!.includes("0 0 NIL"), body[0]);
  } finally {
    client.destroy();
  }
});
