// DKIM-signs outgoing mail once, at submission, so every recipient (and the
// sender's Sent copy) gets the same signed bytes. The signer is handed the
// header block that submission already parsed and checked
// (lib/mime/headers.ts parseStrictHeaderBlock) and signs those very fields:
// the From that was checked is the From that is signed, with no second
// parser in between that could read the header another way.
//
// RFC 6376: rsa-sha256 (§3.3), relaxed/relaxed canonicalization (§3.4.2,
// §3.4.4), header fields chosen bottom-up (§5.4.2).
import { createHash, createPrivateKey, sign } from "node:crypto";
import {
  formatHeaderBlock,
  parseStrictHeaderBlock,
  rawHeaderField,
  type HeaderBlock,
  type RawHeaderField,
} from "../mime/headers.ts";
import { ensureDkimKey } from "./keys.ts";

// What is signed (RFC 6376 §5.4.1 requires From, recommends the rest), with
// rspamd's default choice of which to oversign: those are named once more
// than the message holds them, so a copy added later (a second From or
// Subject, a Sender or Reply-To the message did not have) breaks the
// signature (§5.4.2, §8.15) instead of riding on it.
const SIGNED_HEADERS: { name: string; oversign: boolean }[] = [
  ...[
    "from",
    "sender",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "to",
    "cc",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
  ].map((name) => ({ name, oversign: true })),
  ...[
    "resent-to",
    "resent-cc",
    "resent-from",
    "resent-sender",
    "resent-message-id",
    "list-id",
    "list-post",
    "list-unsubscribe",
    "list-unsubscribe-post",
  ].map((name) => ({ name, oversign: false })),
];

/**
 * The DKIM-Signature field for `block`, signed with `domain`'s key, to be
 * put on top of it; null when the domain is not hosted here.
 */
export async function dkimSignatureField(
  block: HeaderBlock,
  domain: string,
  now = new Date(),
): Promise<RawHeaderField | null> {
  const key = await ensureDkimKey(domain);
  if (!key) return null;
  const privateKey = createPrivateKey(key.privateKey);
  if (privateKey.asymmetricKeyType !== "rsa") {
    throw new Error(`DKIM signing needs an RSA key; ${domain} has ${privateKey.asymmetricKeyType}`);
  }

  // §5.4.2: each name in h= takes the next instance from the bottom up; a
  // name with no instance left stands for the null string.
  const names: string[] = [];
  const signed: RawHeaderField[] = [];
  for (const { name, oversign } of SIGNED_HEADERS) {
    for (const field of block.fields.filter((f) => f.name === name).reverse()) {
      names.push(name);
      signed.push(field);
    }
    if (oversign) names.push(name);
  }
  const tags = [
    `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${key.domain}; s=${key.selector};`,
    `t=${Math.floor(now.getTime() / 1000)}; h=${names.join(":")};`,
    `bh=${relaxedBodyHash(block.body)};`,
    "b=",
  ].join("\r\n\t");
  const unsigned = rawHeaderField("DKIM-Signature", tags);
  // §3.7: the signed fields, each with CRLF, then the signature field with
  // an empty b= and no CRLF.
  const data = [...signed.map((f) => `${relaxedHeader(f.raw)}\r\n`), relaxedHeader(unsigned.raw)];
  const signature = sign("sha256", Buffer.from(data.join(""), "latin1"), privateKey).toString(
    "base64",
  );
  // Folded for line length; FWS inside b= is ignored by verifiers (§3.5).
  return rawHeaderField("DKIM-Signature", tags + signature.replace(/.{72}(?=.)/g, "$&\r\n\t"));
}

/**
 * Returns the message with a DKIM-Signature header for `domain` prepended,
 * or the message unchanged when the domain is not hosted here. For mail the
 * service writes itself (automatic replies); submission signs the block it
 * checked with dkimSignatureField.
 */
export async function signWithDomainKey(raw: Buffer, domain: string): Promise<Buffer> {
  const parsed = parseStrictHeaderBlock(raw);
  if (!parsed.ok) throw new Error(`DKIM signing refused a malformed message: ${parsed.problem}`);
  const field = await dkimSignatureField(parsed.block, domain);
  if (!field) return raw;
  return Buffer.concat([Buffer.from(`${field.raw}\r\n`, "latin1"), raw]);
}

/**
 * RFC 6376 §3.4.2 relaxed header canonicalization: name lower-cased, value
 * unfolded, runs of WSP made one SP, WSP at either end and around the colon
 * dropped.
 */
export function relaxedHeader(raw: string): string {
  const colon = raw.indexOf(":");
  const name = raw.slice(0, colon).trim().toLowerCase();
  const value = raw
    .slice(colon + 1)
    .replace(/\r\n/g, "")
    .replace(/[ \t]+/g, " ")
    .trim();
  return `${name}:${value}`;
}

/**
 * The base64 SHA-256 of the body in RFC 6376 §3.4.4 relaxed form: WSP at
 * line ends dropped, runs of WSP made one SP, empty lines at the end
 * dropped, one CRLF at the end of a non-empty body. A bare LF counts as a
 * line end, as it will be one on the wire (SMTP clients send CRLF) and as
 * verifiers read it.
 */
export function relaxedBodyHash(body: Buffer): string {
  const lines = body
    .toString("latin1")
    .split(/\r?\n/)
    .map((line) => line.replace(/[ \t]+/g, " ").replace(/ $/, ""));
  let canonical = lines.join("\r\n").replace(/(?:\r\n)+$/, "");
  if (canonical !== "") canonical += "\r\n";
  return createHash("sha256").update(canonical, "latin1").digest("base64");
}

/** The signed message: the signature on top of the block it signs. */
export function formatSignedBlock(block: HeaderBlock, signature: RawHeaderField | null): Buffer {
  return formatHeaderBlock(signature ? { ...block, fields: [signature, ...block.fields] } : block);
}
