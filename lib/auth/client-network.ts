// The unit a client is counted by in throttles: one IPv4 address, or the /64
// an IPv6 address belongs to. A home or a phone gets at least a /64 (RFC 6177
// §2), so a client rotating addresses inside it is still one client; mox and
// fail2ban's ipv6 mode count IPv6 the same way.
import { isIPv4, isIPv6 } from "node:net";
import { LOGIN_IPV6_PREFIX_BITS } from "../config/limits.ts";

/** The 8 groups of an IPv6 address (RFC 4291 §2.2 text forms), or null. */
function ipv6Groups(address: string): number[] | null {
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const groups = (text: string): number[] | null => {
    if (!text) return [];
    const out: number[] = [];
    for (const part of text.split(":")) {
      if (part.includes(".")) {
        // RFC 4291 §2.2 (3): the low 32 bits written as dotted IPv4.
        if (!isIPv4(part)) return null;
        const [a, b, c, d] = part.split(".").map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(part)) return null;
        out.push(parseInt(part, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  return [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
}

/**
 * "203.0.113.7" for IPv4 (also when written IPv4-mapped, "::ffff:203.0.113.7"),
 * "2001:db8:1:2::/64" for IPv6; anything else (a test's "unknown") as given.
 */
export function clientNetwork(ip: string): string {
  const address = ip.trim().split("%")[0]!;
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address.slice(0, 64);
  const groups = ipv6Groups(address);
  if (!groups) return address.slice(0, 64);
  const mapped = groups.slice(0, 6).join(",") === "0,0,0,0,0,65535";
  if (mapped)
    return [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join(".");
  const kept = LOGIN_IPV6_PREFIX_BITS / 16;
  const prefix = groups.slice(0, kept).map((g) => g.toString(16));
  return `${prefix.join(":")}::/${LOGIN_IPV6_PREFIX_BITS}`;
}
