// Where mail for a remote domain goes: a static route, the smarthost, or the
// domain's MX hosts (RFC 5321 §5.1), through the injectable resolver.
import { isIP } from "node:net";
import type { Config, HostPort } from "../config/index.ts";
import { isDefiniteDnsAnswer, resolveMx, type DnsResolver } from "../dns/resolver.ts";

export type RelayHost = HostPort & {
  /** The MX name when `host` is its resolved address: TLS SNI and certificate name. */
  servername?: string;
  auth?: { user: string; pass: string };
};

export type Route =
  | { kind: "hosts"; hosts: RelayHost[] }
  /** Permanent: bounce now (null MX, no such domain). */
  | { kind: "fail"; reply: string }
  /** Temporary: DNS did not answer; try later. */
  | { kind: "defer"; reply: string };

export async function routeDomain(
  domain: string,
  resolver: DnsResolver,
  relay: Config["relay"],
): Promise<Route> {
  const name = domain.toLowerCase();
  const fixed = relay.routes.get(name);
  if (fixed) return { kind: "hosts", hosts: [fixed] };
  if (relay.relayhost) {
    const { user, password, ...hostPort } = relay.relayhost;
    return {
      kind: "hosts",
      hosts: [user ? { ...hostPort, auth: { user, pass: password } } : hostPort],
    };
  }

  let records;
  try {
    records = await resolveMx(resolver, name);
  } catch (error) {
    if (!isDefiniteDnsAnswer(error)) {
      return {
        kind: "defer",
        reply: `451 4.4.3 MX lookup for ${name} failed: ${(error as { code?: string }).code ?? "error"}`,
      };
    }
    if ((error as { code?: string }).code === "ENOTFOUND") {
      return { kind: "fail", reply: `550 5.1.2 Domain ${name} does not exist` };
    }
    // RFC 5321 §5.1: no MX records, the domain itself is the implicit MX.
    return hostsOrFail(name, [name], resolver, relay.remotePort);
  }
  // RFC 7505: a single MX of "." with preference 0 says the domain takes no mail.
  if (records.length === 1 && (records[0]!.exchange === "" || records[0]!.exchange === ".")) {
    return { kind: "fail", reply: `556 5.1.10 Domain ${name} accepts no mail (null MX)` };
  }
  const usable = records.filter((r) => r.exchange !== "" && r.exchange !== ".");
  if (usable.length === 0)
    return { kind: "fail", reply: `550 5.1.2 Domain ${name} has no usable MX` };
  // Lower preference first; equal preferences in random order to spread load (§5.1).
  const sorted = usable
    .map((r) => ({ r, tiebreak: Math.random() }))
    .sort((a, b) => a.r.priority - b.r.priority || a.tiebreak - b.tiebreak)
    .map(({ r }) => r.exchange.replace(/\.$/, "").toLowerCase());
  return hostsOrFail(name, sorted, resolver, relay.remotePort);
}

/**
 * Resolves each host to its addresses through our resolver (so tests and
 * split-horizon setups control them), keeping MX order. The TLS server name
 * stays the host name.
 */
async function hostsOrFail(
  domain: string,
  hosts: string[],
  resolver: DnsResolver,
  port: number,
): Promise<Route> {
  const out: RelayHost[] = [];
  let temporary = false;
  for (const host of hosts) {
    if (isIP(host)) {
      out.push({ host, port });
      continue;
    }
    const found = await addressesOf(host, resolver);
    if (found === "temporary") temporary = true;
    else for (const address of found) out.push({ host: address, port, servername: host });
  }
  if (out.length > 0) return { kind: "hosts", hosts: out };
  if (temporary)
    return {
      kind: "defer",
      reply: `451 4.4.3 Address lookup for the mail hosts of ${domain} failed`,
    };
  return { kind: "fail", reply: `550 5.4.4 No address for the mail hosts of ${domain}` };
}

async function addressesOf(name: string, resolver: DnsResolver): Promise<string[] | "temporary"> {
  const addresses: string[] = [];
  let temporary = false;
  for (const type of ["A", "AAAA"] as const) {
    try {
      addresses.push(...((await resolver.resolve(name, type)) as string[]));
    } catch (error) {
      if (!isDefiniteDnsAnswer(error)) temporary = true;
    }
  }
  return addresses.length === 0 && temporary ? "temporary" : addresses;
}
