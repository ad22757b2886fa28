// Every message of the shared MIME corpus (../shared/corpus/mime: enmime's
// and Stalwart's test mail, malformed ones included) goes through the
// gateway: accepted, stored byte-exact, parsed in time, with sensible fields.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { MIME_CORPUS_DIR, mimeCorpusFiles } from "../../helpers/corpus.ts";

await useTestDatabase();
const { makeAccount } = await import("../../helpers/accounts.ts");
const { startTestGateway } = await import("../../helpers/smtp-harness.ts");
const { connectNodemailer } = await import("../../helpers/smtp-clients.ts");
const { parseMessage } = await import("../../../lib/mime/parse-message.ts");
const { findHeaderEnd } = await import("../../../lib/mime/headers.ts");
const { db } = await import("../../../lib/db.ts");

/** Parsing one corpus message may take this long at most (the slowest takes ~40 ms here). */
const PARSE_BUDGET_MS = 2_000;

/**
 * What an SMTP client puts on the wire for a file: lines end in CRLF
 * (RFC 5321 §2.3.8 forbids bare LF; nodemailer converts them, as every
 * client must) and the data ends with a line end before the final dot.
 */
function onTheWire(file: Buffer): Buffer {
  const text = file.toString("latin1").replace(/\r?\n/g, "\r\n");
  return Buffer.from(text.endsWith("\r\n") ? text : `${text}\r\n`, "latin1");
}

/** Subject and first From address from Stalwart's expected-output JSON beside the .eml. */
async function stalwartExpectations(
  file: string,
): Promise<{ subject: string; from: string } | null> {
  const json = file.replace(/\.eml$/, ".json");
  if (!file.includes("stalwart-mail-parser") || !existsSync(json)) return null;
  const expected = JSON.parse(await readFile(json, "utf8")) as {
    parts: {
      headers: {
        name: string;
        value: { Text?: string; Address?: { List?: { address: string | null }[] } };
      }[];
    }[];
  };
  const headers = expected.parts[0]!.headers;
  return {
    subject: headers.find((h) => h.name === "subject")?.value.Text ?? "",
    from: (
      headers.find((h) => h.name === "from")?.value.Address?.List?.[0]?.address ?? ""
    ).toLowerCase(),
  };
}

const files = await mimeCorpusFiles();
const { smtpPort: port } = await startTestGateway();
const bob = await makeAccount("bob");

test("the corpus is there", () => {
  assert.ok(files.length >= 100, `${files.length} corpus messages in ${MIME_CORPUS_DIR}`);
});

test("every corpus message is accepted, stored byte-exact and parsed sensibly", async (t) => {
  const session = await connectNodemailer(port);
  t.after(() => session.close());
  for (const file of files) {
    await t.test(path.relative(MIME_CORPUS_DIR, file), async () => {
      const original = await readFile(file);
      const sent = onTheWire(original);
      const started = performance.now();
      // The reference parse is of the bytes as sent: CRLF normalisation changes
      // what some malformed files decode to (a UTF-16 body, a last line without EOL).
      const reference = await parseMessage(sent);
      assert.ok(performance.now() - started < PARSE_BUDGET_MS, "parsed within the time bound");

      const info = await session.send(
        { from: "corpus@example.org", to: ["bob@mail.test"] },
        original,
      );
      assert.match(info.response, /^250 2\.6\.0 /);
      const stored = await db.message.findFirstOrThrow({
        where: { accountId: bob.id },
        orderBy: { uid: "desc" },
        include: { source: { include: { attachments: true } } },
      });

      // Byte-exact: the stored source minus our trace headers is what was sent.
      const raw = Buffer.from(stored.source.raw);
      assert.ok(
        raw.subarray(raw.length - sent.length).equals(sent),
        "stored bytes end with the bytes sent",
      );
      assert.match(
        raw.subarray(0, raw.length - sent.length).toString(),
        /^Return-Path: <corpus@example\.org>\r\nAuthentication-Results: [^]*\r\nReceived: [^]*\r\n$/,
      );

      // The stored fields are those of the message itself, untouched by the trace headers.
      assert.equal(stored.subject, reference.subject.replace(/\0/g, ""));
      assert.equal(stored.fromAddress, reference.from?.address ?? "");
      assert.equal(stored.source.textBody, reference.text.replace(/\0/g, ""));
      assert.equal(stored.source.attachments.length, reference.attachments.length);
      assert.equal(
        stored.hasAttachments,
        reference.attachments.some((a) => !a.inline),
      );

      // And they are sensible: Stalwart's expected subject and sender where it has them,
      // an attachment where the enmime file says so.
      const expected = await stalwartExpectations(file);
      if (expected) {
        assert.equal(stored.subject, expected.subject);
        assert.equal(stored.fromAddress, expected.from);
      }
      if (/\/attachment(-only|-application|-octet)?\.raw$/.test(file))
        assert.ok(stored.source.attachments.length >= 1);
      const headerEnd = findHeaderEnd(sent);
      const headerBlock = sent
        .subarray(0, headerEnd === -1 ? sent.length : headerEnd)
        .toString("latin1");
      if (/^Subject:[ \t]*\S/im.test(headerBlock)) assert.notEqual(stored.subject, "");
    });
  }
});
