// DKIM-signs outgoing mail once, at submission, so every recipient (and the
// sender's Sent copy) gets the same signed bytes.
import { dkimSign } from "mailauth";
import { ensureDkimKey } from "./keys.ts";

// RFC 6376 §5.4.1 lists From as required and these as recommended; signing
// them twice (oversigning) stops a relay from adding a second copy.
const SIGNED_HEADERS = [
  "from",
  "from",
  "to",
  "cc",
  "subject",
  "subject",
  "date",
  "message-id",
  "in-reply-to",
  "references",
  "reply-to",
  "mime-version",
  "content-type",
  "content-transfer-encoding",
  "list-id",
  "list-post",
];

/**
 * Returns the message with a DKIM-Signature header for `domain` prepended,
 * or the message unchanged when the domain is not hosted here.
 */
export async function signWithDomainKey(raw: Buffer, domain: string): Promise<Buffer> {
  const key = await ensureDkimKey(domain);
  if (!key) return raw;
  // mailauth reads the key from signatureData; its typings also require the
  // top-level fields, which it ignores.
  const signature = {
    signingDomain: key.domain,
    selector: key.selector,
    privateKey: key.privateKey,
  };
  const result = await dkimSign(raw, {
    ...signature,
    signatureData: [signature],
    canonicalization: "relaxed/relaxed",
    algorithm: "rsa-sha256",
    headerList: SIGNED_HEADERS,
  });
  if (result.errors?.length || !result.signatures.trim()) {
    throw new Error(`DKIM signing failed: ${result.errors.map((e) => String(e)).join("; ")}`);
  }
  return Buffer.concat([Buffer.from(result.signatures), raw]);
}
