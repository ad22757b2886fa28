// DNS block and allow lists (RFC 5782) through the injectable resolver: the
// client's IP in IP lists (zen.spamhaus.org-style), the sender's domains in
// domain lists (DBL-style). A listing is an A record in 127.0.0.0/8 (RFC
// 5782 §2.1); "does not exist" is not listed; anything else (no DNS, a
// timeout, an answer outside 127/8) is no verdict. All lists are asked at
// once and given up together after the timeout, so no answer ever delays a
// message longer than that, and never fails it.
import { isIPv4, isIPv6 } from "node:net";
import type { DnsResolver } from "../dns/resolver.ts";
import type { DnsList } from "./settings.ts";
import type { SpamReason } from "./verdict.ts";

/** RFC 5782 §2.1 (IPv4: octets reversed) and §2.4 (IPv6: nibbles reversed). */
export function reversedIp(ip: string): string | null {
  const plain = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  if (isIPv4(plain)) return plain.split(".").reverse().join(".");
  if (!isIPv6(plain)) return null;
  const [head = "", tail = ""] = plain.split("::");
  const groups = (part: string) => (part ? part.split(":") : []);
  const left = groups(head);
  const right = groups(tail);
  const full = plain.includes("::")
    ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right]
    : left;
  const nibbles = full.map((g) => g.padStart(4, "0")).join("");
  return [...nibbles].reverse().join(".");
}

/**
 * Whether an answer is a listing: 127.0.0.0/8 only. Spamhaus answers
 * 127.255.255.x for refused queries (an open resolver, over quota): that is
 * an error, not a listing.
 */
function isListing(answer: unknown[]): boolean {
  return answer.some(
    (a) => typeof a === "string" && a.startsWith("127.") && !a.startsWith("127.255.255."),
  );
}

export type DnsListInput = {
  clientIp: string;
  /** The sender's domains (MAIL FROM, From), lower case. */
  domains: string[];
  lists: DnsList[];
  resolver: DnsResolver;
  timeoutMs: number;
};

/**
 * The reasons the lists give: allowlistings (action "inbox") when any
 * allowlist names the client or a domain, which then outweigh the
 * blocklists; else one reason per blocklisting. Never rejects.
 */
export async function checkDnsLists(input: DnsListInput): Promise<SpamReason[]> {
  if (input.lists.length === 0) return [];
  const reversed = reversedIp(input.clientIp);
  const queries: { list: DnsList; name: string; subject: string }[] = [];
  for (const list of input.lists) {
    if (list.kind === "ip" && reversed)
      queries.push({ list, name: `${reversed}.${list.zone}`, subject: input.clientIp });
    if (list.kind === "domain")
      for (const domain of new Set(input.domains))
        queries.push({ list, name: `${domain}.${list.zone}`, subject: domain });
  }
  const hits: (typeof queries)[number][] = [];
  const asked = Promise.all(
    queries.map(async (q) => {
      try {
        if (isListing(await input.resolver.resolve(q.name, "A"))) hits.push(q);
      } catch {
        // NXDOMAIN: not listed. Anything else: no verdict from this list.
      }
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, input.timeoutMs)));
  await Promise.race([asked, timeout]);
  clearTimeout(timer);
  // Hits that arrive after the timeout are not counted: copy what is known now.
  const known = [...hits];
  const allowed = known.filter((h) => h.list.action === "allow");
  if (allowed.length)
    return allowed.map((h) => ({
      code: "dns_allowlisted",
      action: "inbox",
      text: `${h.list.kind === "ip" ? "Sending server" : "Domain"} ${h.subject} is on the allowlist ${h.list.zone}`,
    }));
  return known.map((h) => ({
    code: h.list.kind === "ip" ? "dnsbl" : "dbl",
    action: h.list.action === "reject" ? "reject" : "junk",
    text:
      h.list.kind === "ip"
        ? `Sending server ${h.subject} is listed by ${h.list.zone}`
        : `Domain ${h.subject} is listed by ${h.list.zone}`,
  }));
}
