// Mail from a hosted sender that reaches the MX from outside (back through
// a list or a forward) must carry that domain's DKIM signature, or the MX
// refuses it as a forgery (lib/spam/verdict.ts). Tests that send such mail
// sign it as submission would and give the gateway the key's DNS record.
import { ensureHostedDomain } from "../../lib/accounts/domains.ts";
import { dkimDnsRecord, ensureDkimKey } from "../../lib/dkim/keys.ts";
import { signWithDomainKey } from "../../lib/dkim/sign.ts";
import type { DnsTable } from "../../lib/dns/resolver.ts";

/** The DNS table entry publishing `domain`'s DKIM key (made when missing). */
export async function hostedDkimTable(domain = "mail.test"): Promise<DnsTable> {
  await ensureHostedDomain(domain);
  const record = dkimDnsRecord((await ensureDkimKey(domain))!);
  return { [record.name]: { TXT: [[record.value]] } };
}

/** The message signed with the sender's domain key when `from` is in `domain`, else as it is. */
export async function signedIfHosted(
  message: string | Buffer,
  from: string,
  domain = "mail.test",
): Promise<Buffer> {
  const bytes = Buffer.isBuffer(message) ? message : Buffer.from(message);
  return from.toLowerCase().endsWith(`@${domain}`) ? signWithDomainKey(bytes, domain) : bytes;
}
