// DKIM keys of hosted domains (RFC 6376). Each domain gets an RSA-2048 key on
// first use; the public half is published as a TXT record at
// <selector>._domainkey.<domain>, which the admin dashboard shows.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { findHostedDomain } from "../accounts/domains.ts";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";

export type DkimKey = { domain: string; selector: string; privateKey: string; publicKey: string };

/** A selector per key generation: "s" + year and month, so a rotated key gets a new name. */
function newSelector(now = new Date()): string {
  return `s${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, "0")}${String(now.getUTCDate()).padStart(2, "0")}`;
}

function generateKey(): { privateKey: string; publicKey: string } {
  // RFC 8301 §3.2: signers must use RSA keys of at least 1024 bits; 2048 is
  // what Gmail and Microsoft publish and still fits one DNS TXT string chain.
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
  };
}

/** The domain's key, generated and stored on first use. Null when the domain is not hosted. */
export async function ensureDkimKey(domainName: string): Promise<DkimKey | null> {
  const domain = await db.domain.findFirst({
    where: { name: domainName.toLowerCase(), hosted: true },
  });
  if (!domain) return null;
  if (domain.dkimSelector && domain.dkimPrivateKey && domain.dkimPublicKey) {
    return {
      domain: domain.name,
      selector: domain.dkimSelector,
      privateKey: domain.dkimPrivateKey,
      publicKey: domain.dkimPublicKey,
    };
  }
  const key = generateKey();
  const selector = newSelector();
  // Two processes may race to make the first key: the first write wins and
  // both return what is stored.
  await db.domain.updateMany({
    where: { id: domain.id, dkimSelector: null },
    data: { dkimSelector: selector, dkimPrivateKey: key.privateKey, dkimPublicKey: key.publicKey },
  });
  const stored = await db.domain.findUniqueOrThrow({ where: { id: domain.id } });
  return {
    domain: stored.name,
    selector: stored.dkimSelector!,
    privateKey: stored.dkimPrivateKey!,
    publicKey: stored.dkimPublicKey!,
  };
}

/** Replaces the domain's key with a new one under a new selector; UserError for a domain not hosted. */
export async function rotateDkimKey(domainName: string): Promise<DkimKey> {
  const key = generateKey();
  let selector = newSelector();
  const current = await findHostedDomain(domainName);
  if (!current) throw new UserError("not_found", `${domainName} is not hosted here.`, "domain");
  // A second rotation on the same day must not reuse a published selector.
  if (current.dkimSelector?.startsWith(selector)) {
    selector = `${selector}${randomBytes(3).toString("hex")}`;
  }
  const updated = await db.domain.update({
    where: { id: current.id },
    data: { dkimSelector: selector, dkimPrivateKey: key.privateKey, dkimPublicKey: key.publicKey },
  });
  return { domain: updated.name, selector, privateKey: key.privateKey, publicKey: key.publicKey };
}

/** The TXT record to publish for a key. */
export function dkimDnsRecord(key: Pick<DkimKey, "domain" | "selector" | "publicKey">): {
  name: string;
  value: string;
} {
  return {
    name: `${key.selector}._domainkey.${key.domain}`,
    value: `v=DKIM1; k=rsa; p=${key.publicKey}`,
  };
}
